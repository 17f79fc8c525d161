package lint

import (
	"fmt"
	"strings"
)

// printable returns f with every control character, C1 control and
// bidirectional override in its text written as an escape (\x1b, \u202e).
// Findings quote the unit files they are about, and a hostile file (or file
// name) must not be able to clear the terminal, recolour it, or make a line
// display in another order than it is.
func (f Finding) printable() Finding {
	f.Path = escapeControls(f.Path)
	f.Message = escapeControls(f.Message)
	f.Fix = escapeControls(f.Fix)
	f.Analyze = append([]string(nil), f.Analyze...)
	for i, a := range f.Analyze {
		f.Analyze[i] = escapeControls(a)
	}
	return f
}

func escapeControls(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case !isControl(r):
			b.WriteRune(r)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 ||
		r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}
