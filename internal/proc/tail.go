package proc

import "sync"

// DefaultTail is the size of a Tail whose Max is not set.
const DefaultTail = 4 << 10

// Tail is an io.Writer that keeps the last Max bytes written to it (the
// end of a command's output, where the reason for a failure usually is).
// It never holds more than Max bytes, whatever is written. It is safe for
// concurrent use (a command's stdout and stderr may share it).
type Tail struct {
	Max int // bytes kept; 0: DefaultTail

	mu  sync.Mutex
	buf []byte
	cut bool
}

// NewTail returns a Tail that keeps max bytes.
func NewTail(max int) *Tail { return &Tail{Max: max} }

func (t *Tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	max := t.Max
	if max <= 0 {
		max = DefaultTail
	}
	if t.buf == nil {
		t.buf = make([]byte, 0, max)
	}
	if len(p) > max {
		t.cut = true
		p = p[len(p)-max:]
		t.buf = t.buf[:0]
	}
	if over := len(t.buf) + len(p) - max; over > 0 {
		t.buf = t.buf[:copy(t.buf, t.buf[over:])]
		t.cut = true
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

// Bytes returns a copy of the bytes kept.
func (t *Tail) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]byte(nil), t.buf...)
}

// Truncated reports whether earlier output was dropped.
func (t *Tail) Truncated() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cut
}

// String returns the bytes kept, after "..." when earlier output was
// dropped.
func (t *Tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cut {
		return "..." + string(t.buf)
	}
	return string(t.buf)
}
