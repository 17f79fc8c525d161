package session

import (
	"io"
	"sync"
)

// Writer passes writes on to an underlying writer until one fails. That
// first failure means the viewer went away: Writer calls gone (once) and
// from then on discards everything, reporting success, so that printing
// code never stops halfway through a summary or an error message, and the
// rollout carries on to a safe stop instead of failing on its output.
// It is safe for concurrent use.
type Writer struct {
	mu   sync.Mutex
	w    io.Writer
	gone func()
	err  error // the first write error; nil while the viewer is there
}

// NewWriter wraps w; gone is called once, on the first failed write.
func NewWriter(w io.Writer, gone func()) *Writer {
	return &Writer{w: w, gone: gone}
}

// Write writes p to the underlying writer unless an earlier write failed.
// It always reports len(p), nil.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	if w.err != nil {
		w.mu.Unlock()
		return len(p), nil
	}
	_, err := w.w.Write(p)
	first := err != nil
	if first {
		w.err = err
	}
	w.mu.Unlock()
	// Outside the lock: gone may take its time or write here itself.
	if first {
		w.gone()
	}
	return len(p), nil
}

// Err is the write error that ended the output, or nil.
func (w *Writer) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}
