package controller

import (
	"strings"
	"testing"
)

// TestLineWriter: however the stream is cut into writes, every complete
// line comes out once and the offset is the end of the last one, so a
// reattach from it neither repeats nor skips a line; a torn last line is
// held back.
func TestLineWriter(t *testing.T) {
	tests := []struct {
		name   string
		from   int64
		writes []string
		lines  []string
		offset int64
	}{
		{"whole lines", 0, []string{"a\n", "bb\n"}, []string{"a", "bb"}, 5},
		{"split inside a line", 10, []string{"a", "b\nc", "c\n"}, []string{"ab", "cc"}, 16},
		{"several in one write", 0, []string{"a\nb\nc\n"}, []string{"a", "b", "c"}, 6},
		{"torn last line", 0, []string{"a\nbb"}, []string{"a"}, 2},
		{"nothing", 7, nil, nil, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			w := &lineWriter{offset: tt.from, line: func(b []byte) { got = append(got, string(b)) }}
			for _, s := range tt.writes {
				if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", s, n, err)
				}
			}
			if strings.Join(got, "|") != strings.Join(tt.lines, "|") || w.offset != tt.offset {
				t.Errorf("lines %q offset %d, want %q %d", got, w.offset, tt.lines, tt.offset)
			}
		})
	}
}
