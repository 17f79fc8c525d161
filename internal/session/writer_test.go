package session

import (
	"bytes"
	"errors"
	"sync"
	"syscall"
	"testing"
)

// failAfter accepts ok writes, then fails every write with err after
// taking short bytes of it. It is deliberately not safe for concurrent
// use: the race detector then shows whether Writer serialises its callers.
type failAfter struct {
	ok    int
	short int
	err   error
	buf   bytes.Buffer
	calls int
}

func (f *failAfter) Write(p []byte) (int, error) {
	f.calls++
	if f.calls > f.ok {
		n := min(f.short, len(p))
		f.buf.Write(p[:n])
		return n, f.err
	}
	return f.buf.Write(p)
}

func TestWriter(t *testing.T) {
	cases := []struct {
		name      string
		under     failAfter
		writes    []string
		passed    string // what reached the underlying writer
		calls     int    // writes the underlying writer saw
		wantGone  bool
		wantError error
	}{
		{
			name: "viewer stays", under: failAfter{ok: 10},
			writes: []string{"a\n", "b\n", "c\n"}, passed: "a\nb\nc\n", calls: 3,
		},
		{
			name: "broken pipe on the second line", under: failAfter{ok: 1, err: syscall.EPIPE},
			writes: []string{"a\n", "b\n", "c\n", "d\n"}, passed: "a\n", calls: 2,
			wantGone: true, wantError: syscall.EPIPE,
		},
		{
			name: "hung-up terminal on the first line", under: failAfter{ok: 0, err: syscall.EIO},
			writes: []string{"a\n", "b\n"}, passed: "", calls: 1,
			wantGone: true, wantError: syscall.EIO,
		},
		{
			// Half a line got out: the rest of it is not retried.
			name: "short write", under: failAfter{ok: 1, short: 2, err: syscall.EPIPE},
			writes: []string{"first\n", "second\n", "third\n"}, passed: "first\nse", calls: 2,
			wantGone: true, wantError: syscall.EPIPE,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			under := tc.under
			gone := 0
			w := NewWriter(&under, func() { gone++ })
			for _, s := range tc.writes {
				n, err := w.Write([]byte(s))
				if n != len(s) || err != nil {
					t.Errorf("Write(%q) = %d, %v; want %d, nil", s, n, err, len(s))
				}
			}
			if got := under.buf.String(); got != tc.passed {
				t.Errorf("passed on %q, want %q", got, tc.passed)
			}
			if under.calls != tc.calls {
				t.Errorf("underlying writer called %d times, want %d: writes after the failure must be discarded", under.calls, tc.calls)
			}
			if want := map[bool]int{true: 1, false: 0}[tc.wantGone]; gone != want {
				t.Errorf("gone called %d times, want %d", gone, want)
			}
			if err := w.Err(); !errors.Is(err, tc.wantError) || (err == nil) != (tc.wantError == nil) {
				t.Errorf("Err() = %v, want %v", err, tc.wantError)
			}
		})
	}
}

// Many goroutines print at once (progress, the traffic probe, the
// summary) while the output breaks: gone is called exactly once, every
// write reports success, and nothing reaches the writer after it failed.
func TestWriterConcurrent(t *testing.T) {
	under := &failAfter{ok: 500, err: syscall.EPIPE}
	var mu sync.Mutex
	gone := 0
	w := NewWriter(under, func() {
		mu.Lock()
		gone++
		mu.Unlock()
	})
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for range 100 {
				if n, err := w.Write([]byte("line\n")); n != 5 || err != nil {
					t.Errorf("Write = %d, %v; want 5, nil", n, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if gone != 1 {
		t.Errorf("gone called %d times, want once", gone)
	}
	if under.calls != 501 {
		t.Errorf("underlying writer called %d times, want 501 (500 good, the failing one, nothing after)", under.calls)
	}
	if got := under.buf.Len(); got != 500*5 {
		t.Errorf("%d bytes passed on, want %d", got, 500*5)
	}
}

// gone may write to the same Writer (e.g. log that the viewer left)
// without deadlocking; that write is discarded.
func TestWriterGoneWritesBack(t *testing.T) {
	under := &failAfter{ok: 0, err: syscall.EPIPE}
	var w *Writer
	w = NewWriter(under, func() { _, _ = w.Write([]byte("viewer gone\n")) })
	_, _ = w.Write([]byte("x\n"))
	if under.calls != 1 {
		t.Errorf("underlying writer called %d times, want 1", under.calls)
	}
}
