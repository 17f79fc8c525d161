package unitfile

import (
	"strconv"
	"strings"
	"time"
)

// Escaping for the three kinds of values sysroll writes. Package config has
// already refused newlines, control characters and trailing backslashes, so what
// is left is systemd's own syntax: % specifiers everywhere, $ expansion and
// quoting in ExecStart=, quoting in Environment=.

// escapeSpecifiers makes every '%' literal.
func escapeSpecifiers(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// execLiteral escapes literal text inside an ExecStart= word: % and $ are
// doubled (no specifier, no variable expansion), \ and " are backslash-escaped
// (the word may be double-quoted, where C escapes apply).
var execLiteral = strings.NewReplacer(`%`, `%%`, `$`, `$$`, `\`, `\\`, `"`, `\"`).Replace

// bareSafe reports whether an already escaped ExecStart= word can be written
// without quotes: no blanks, no quotes, no backslashes, no ';'.
func bareSafe(w string) bool {
	if w == "" {
		return false
	}
	for _, r := range w {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("_@%+=:,./-$", r):
		default:
			return false
		}
	}
	return true
}

// execWord writes one escaped argv element, double-quoted when needed.
func execWord(escaped string) string {
	if bareSafe(escaped) {
		return escaped
	}
	return `"` + escaped + `"`
}

// envLiteral escapes literal text inside a double-quoted Environment= word,
// in which systemd applies C unescaping and specifiers, but no $ expansion.
var envLiteral = strings.NewReplacer(`\`, `\\`, `"`, `\"`, `%`, `%%`).Replace

// duration renders d as a systemd time span: whole seconds as "30s", else
// milliseconds, else microseconds (systemd's resolution).
func duration(d time.Duration) string {
	switch {
	case d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	case d%time.Millisecond == 0:
		return strconv.FormatInt(int64(d/time.Millisecond), 10) + "ms"
	default:
		return strconv.FormatInt(int64(d/time.Microsecond), 10) + "us"
	}
}
