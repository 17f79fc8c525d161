package sshx

import (
	"errors"
	"strings"
)

// ShellQuote joins argv into one command line for the remote user's shell.
// SSH carries a single string that the remote login shell parses, so every
// argument that is not plainly safe is single-quoted (a single quote inside
// becomes '\”), which every POSIX shell reads literally: no expansion of $,
// `, *, ~, no word splitting, newlines kept. A NUL cannot be carried and is
// an error; so is an empty argv.
func ShellQuote(argv []string) (string, error) {
	if len(argv) == 0 {
		return "", errors.New("empty command")
	}
	var b strings.Builder
	for i, a := range argv {
		if strings.IndexByte(a, 0) >= 0 {
			return "", errors.New("command argument contains a NUL byte")
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		if a != "" && isSafeWord(a) {
			b.WriteString(a)
			continue
		}
		b.WriteByte('\'')
		b.WriteString(strings.ReplaceAll(a, "'", `'\''`))
		b.WriteByte('\'')
	}
	return b.String(), nil
}

// isSafeWord reports whether a needs no quoting in any POSIX shell. "=" is
// excluded so a first word is never taken as an assignment; "~" and "#" are
// excluded (tilde expansion, comments).
func isSafeWord(a string) bool {
	for _, r := range a {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("-_./:,@%+", r):
		default:
			return false
		}
	}
	return true
}
