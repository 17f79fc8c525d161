package proc

import (
	"bytes"
	"strings"
	"testing"
)

func TestTail(t *testing.T) {
	tests := []struct {
		name   string
		max    int
		writes []string
		want   string
	}{
		{"fits", 5, []string{"abc"}, "abc"},
		{"exactly", 5, []string{"ab", "cde"}, "abcde"},
		{"keeps the end", 5, []string{"abc", "defgh"}, "...defgh"},
		{"one huge write", 5, []string{"0123456789"}, "...56789"},
		{"huge after some", 5, []string{"ab", "0123456789"}, "...56789"},
		{"max-sized after some", 3, []string{"a", "xyz"}, "...xyz"},
		{"many small", 4, []string{"a", "b", "c", "d", "e", "f"}, "...cdef"},
		{"default size", 0, []string{strings.Repeat("x", DefaultTail)}, strings.Repeat("x", DefaultTail)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := NewTail(tt.max)
			for _, w := range tt.writes {
				if n, err := tl.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			if got := tl.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTailNeverGrows(t *testing.T) {
	tl := NewTail(1024)
	chunk := bytes.Repeat([]byte("y"), 32<<10)
	for range 100 {
		tl.Write(chunk)
		tl.Write([]byte("z"))
	}
	if c := cap(tl.buf); c > 1024 {
		t.Errorf("buffer capacity %d, bound 1024", c)
	}
	if b := tl.Bytes(); len(b) != 1024 || b[len(b)-1] != 'z' {
		t.Errorf("kept %d bytes", len(b))
	}
}
