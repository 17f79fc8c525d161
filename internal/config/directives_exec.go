package config

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// privilegedPrefix returns the prefix of the first command line in v that
// carries '+' or '!'. systemd reads a run of "-@:+!" in any order in front of
// a command (systemd.service(5), "Table 1. Special executable prefixes"), and
// a lone ';' word starts another command line, with prefixes of its own.
//
// systemd takes the prefixes from the first word after removing its quotes
// and C escapes (config_parse_exec: extract_first_word with EXTRACT_UNQUOTE
// and EXTRACT_CUNESCAPE), so "\"+/bin/sh\"", "'!/bin/sh'" and "\x2b/bin/sh"
// carry a '+' or '!' as much as "+/bin/sh" does; the words are read here the
// same way.
func privilegedPrefix(v string) (string, bool) {
	for _, w := range execFirstWords(v) {
		p := w[:len(w)-len(strings.TrimLeft(w, "-@:+!"))]
		if strings.ContainsAny(p, "+!") {
			return p, true
		}
	}
	return "", false
}

// execFirstWords returns the first word of each command line of an Exec*=
// value, unquoted and unescaped as systemd reads it. A command line ends at
// a word that is an unquoted ';' (what systemd checks, in the raw text,
// before each word).
func execFirstWords(v string) []string {
	var firsts []string
	first := true
	rest := v
	for {
		rest = strings.TrimLeft(rest, " \t\n\r")
		if rest == "" {
			return firsts
		}
		if rest[0] == ';' && (len(rest) == 1 || strings.ContainsRune(" \t\n\r", rune(rest[1]))) {
			first = true
			rest = rest[1:]
			continue
		}
		var w string
		w, rest = execWord(rest)
		if first {
			firsts = append(firsts, w)
			first = false
		}
	}
}

// execWord reads one word from s (which starts with no blank) the way
// systemd's extract_first_word does with EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE:
// quotes may start and end anywhere in the word and are removed, a backslash
// escape is decoded inside and outside quotes, an unknown escape is kept as
// written (systemd warns and keeps it), and an unquoted blank ends the word.
func execWord(s string) (word, rest string) {
	var b strings.Builder
	var quote byte
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			r, n := cUnescape(s[i+1:])
			if n == 0 {
				b.WriteByte('\\')
				i++
				continue
			}
			b.WriteString(r)
			i += 1 + n
			continue
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == '\'' || c == '"'):
			quote = c
		case quote == 0 && strings.IndexByte(" \t\n\r", c) >= 0:
			return b.String(), s[i:]
		default:
			b.WriteByte(c)
		}
		i++
	}
	return b.String(), ""
}

// cUnescape decodes the C escape at the start of s (the text after a
// backslash), as systemd's cunescape_one: it returns the decoded text and how
// many bytes of s it used, 0 for an escape systemd does not know.
func cUnescape(s string) (string, int) {
	simple := map[byte]string{'a': "\a", 'b': "\b", 'f': "\f", 'n': "\n", 'r': "\r", 't': "\t", 'v': "\v", '\\': `\`, '"': `"`, '\'': "'", 's': " "}
	if r, ok := simple[s[0]]; ok {
		return r, 1
	}
	num := func(digits, base int) (string, int) {
		if len(s) < 1+digits {
			return "", 0
		}
		n, err := strconv.ParseUint(s[1:1+digits], base, 32)
		if err != nil || n > utf8.MaxRune {
			return "", 0
		}
		return string(rune(n)), 1 + digits
	}
	switch s[0] {
	case 'x':
		return num(2, 16)
	case 'u':
		return num(4, 16)
	case 'U':
		return num(8, 16)
	}
	if s[0] >= '0' && s[0] <= '7' && len(s) >= 3 {
		n, err := strconv.ParseUint(s[:3], 8, 32)
		if err == nil && n <= 0xff {
			return string(rune(n)), 3
		}
	}
	return "", 0
}
