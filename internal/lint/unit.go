package lint

import (
	"bytes"
	"path/filepath"
	"strings"
)

// Assignment is one "Key=Value" as systemd reads it (systemd.syntax(7)).
type Assignment struct {
	Section string `json:"section"`
	Key     string `json:"key"`
	// Value is everything after the first '=', with surrounding whitespace
	// removed and continuation lines joined. An inline "# ..." is part of it:
	// systemd only knows whole-line comments.
	Value string `json:"value"`
	// Line is the physical line the assignment starts on (1-based).
	Line int `json:"line"`
	// EndLine is its last physical line; it differs from Line only for
	// backslash-continued values, and it is the line systemd reports.
	EndLine int `json:"end_line"`
}

// Section is a "[Name]" header.
type Section struct {
	Name string `json:"name"`
	Line int    `json:"line"`
}

// SyntaxError is a line systemd cannot read as a header or an assignment.
type SyntaxError struct {
	Line int `json:"line"`
	// Fatal is true when systemd refuses the whole file (an invalid section
	// header: "Bad message"); otherwise systemd only ignores the line.
	Fatal bool   `json:"fatal"`
	Msg   string `json:"msg"`
}

// Unit is a parsed unit file. Assignments keep file order and repeats:
// whether a repeat appends (ExecStart=, After=) or overrides (Type=) is the
// key's business, and an empty value resets most list settings.
type Unit struct {
	Path        string        `json:"path"`
	Name        string        `json:"name"`
	Sections    []Section     `json:"sections"`
	Assignments []Assignment  `json:"assignments"`
	Errors      []SyntaxError `json:"errors,omitempty"`

	raw []byte // the file as given, for systemd-analyze
}

// ParseUnit reads data the way systemd's config_parse() does. It never fails:
// lines systemd would reject are recorded in Unit.Errors with their line.
//
// Faithful details: comment lines start with '#' or ';' after optional
// whitespace, and are skipped even inside a continuation; a line ending in an
// unescaped backslash continues on the next line, the backslash becoming a
// space (a backslash followed by trailing whitespace does not continue);
// key and value are trimmed; an assignment outside a section is ignored; an
// invalid section header ends the file (systemd refuses the unit).
func ParseUnit(path string, data []byte) *Unit {
	u := &Unit{Path: path, Name: filepath.Base(path), raw: data}
	p := unitParser{u: u}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 BOM, as systemd does
	var (
		cont       strings.Builder
		continuing bool
		start      int
		last       int
	)
	for i, raw := range splitLines(string(data)) {
		last = i + 1
		trimmed := strings.TrimLeft(raw, spaces)
		if trimmed != "" && (trimmed[0] == '#' || trimmed[0] == ';') {
			continue
		}
		if !continuing {
			start = last
		}
		if endsWithEscape(raw) {
			// The trailing backslash becomes a space; keep reading.
			cont.WriteString(raw[:len(raw)-1] + " ")
			continuing = true
			continue
		}
		cont.WriteString(raw)
		continuing = false
		ok := p.line(cont.String(), start, last)
		cont.Reset()
		if !ok {
			return u
		}
	}
	if continuing {
		// systemd parses a dangling continuation at EOF as a last line.
		p.line(cont.String(), start, last)
	}
	return u
}

type unitParser struct {
	u         *Unit
	section   string
	inSection bool
}

// line handles one logical line (systemd's parse_line). It returns false
// when systemd would stop reading the file.
func (p *unitParser) line(text string, start, end int) bool {
	text = strings.Trim(text, spaces)
	switch {
	case text == "":
		return true
	case text[0] == '[':
		if text[len(text)-1] != ']' {
			p.u.Errors = append(p.u.Errors, SyntaxError{Line: end, Fatal: true,
				Msg: "Invalid section header '" + text + "'"})
			return false
		}
		p.section, p.inSection = text[1:len(text)-1], true
		p.u.Sections = append(p.u.Sections, Section{Name: p.section, Line: end})
		return true
	case !p.inSection:
		p.u.Errors = append(p.u.Errors, SyntaxError{Line: end, Msg: "Assignment outside of section. Ignoring."})
		return true
	}
	key, value, ok := strings.Cut(text, "=")
	switch {
	case !ok:
		p.u.Errors = append(p.u.Errors, SyntaxError{Line: end, Msg: "Missing '=', ignoring line."})
	case strings.Trim(key, spaces) == "":
		p.u.Errors = append(p.u.Errors, SyntaxError{Line: end, Msg: "Missing key name before '=', ignoring line."})
	default:
		p.u.Assignments = append(p.u.Assignments, Assignment{
			Section: p.section,
			Key:     strings.Trim(key, spaces),
			Value:   strings.Trim(value, spaces),
			Line:    start,
			EndLine: end,
		})
	}
	return true
}

// splitLines splits on "\n", "\r\n" and "\r" like systemd's read_line().
func splitLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// endsWithEscape reports whether the line ends in a backslash that is not
// itself escaped ("a\\" does not continue, "a\" does).
func endsWithEscape(line string) bool {
	escaped := false
	for i := 0; i < len(line); i++ {
		if escaped {
			escaped = false
		} else if line[i] == '\\' {
			escaped = true
		}
	}
	return escaped
}

// Get returns every assignment of key in section, in file order.
func (u *Unit) Get(section, key string) []Assignment {
	var out []Assignment
	for _, a := range u.Assignments {
		if a.Section == section && a.Key == key {
			out = append(out, a)
		}
	}
	return out
}

// Has reports whether section exists in the file.
func (u *Unit) Has(section string) bool {
	for _, s := range u.Sections {
		if s.Name == section {
			return true
		}
	}
	return false
}

// SectionLine is the line of the first [section] header, or 0.
func (u *Unit) SectionLine(section string) int {
	for _, s := range u.Sections {
		if s.Name == section {
			return s.Line
		}
	}
	return 0
}

// List returns the effective assignments of a list setting such as
// ExecStart= or Environment=: each non-empty assignment appends and an empty
// one resets the list. Dependencies (After=, Requires=, ...) cannot be reset
// in systemd; use Words for them.
func (u *Unit) List(section, key string) []Assignment {
	var out []Assignment
	for _, a := range u.Get(section, key) {
		if a.Value == "" {
			out = nil
			continue
		}
		out = append(out, a)
	}
	return out
}

// Word is one whitespace-separated item of a list value, with its line.
type Word struct {
	Value string
	Line  int
}

// Words splits every assignment of a space-separated list setting
// (Requires=, After=, PartOf=, ...) into its items. Empty assignments are
// no-ops here, as they are for systemd's dependency settings. The unit name
// specifiers in an item are expanded as systemd expands them
// (Requires=%p@8082.service is Requires=web@8082.service in web@.service),
// so a rule cannot be walked around by writing the name with them.
func (u *Unit) Words(section, key string) []Word {
	var out []Word
	for _, a := range u.Get(section, key) {
		for _, w := range strings.Fields(a.Value) {
			out = append(out, Word{Value: expandNameSpecifiers(u.Name, w), Line: a.Line})
		}
	}
	return out
}

// expandNameSpecifiers replaces %n, %N, %p, %P, %i, %I and %% in s with
// what they are for the unit named name (systemd.unit(5), "Specifiers").
// Other specifiers (%H, %u, ...) depend on the host and are kept as written.
// %P and %I are the unescaped forms; names lint compares are rarely escaped,
// so they are taken as written.
func expandNameSpecifiers(name, s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	n, _ := parseUnitName(name)
	full := n.prefix
	if n.template {
		full += "@" + n.instance
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteString(name)
		case 'N':
			b.WriteString(full)
		case 'p', 'P':
			b.WriteString(n.prefix)
		case 'i', 'I':
			b.WriteString(n.instance)
		case '%':
			b.WriteByte('%')
		default:
			b.WriteString(s[i-1 : i+1])
		}
	}
	return b.String()
}
