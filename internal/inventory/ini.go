package inventory

import (
	"bytes"
	"regexp"
	"strings"
)

// sectionRe is Ansible's INI section header: [group], [group:vars] or
// [group:children], optionally followed by a comment.
var sectionRe = regexp.MustCompile(`^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$`)

// iniSection is what lines of the current section mean.
type iniSection int

const (
	iniHosts iniSection = iota
	iniVars
	iniChildren
)

// parseINI reads Ansible's static INI inventory: host lines ("web[01:20]
// ansible_user=deploy", shell-quoted), [group:vars] and [group:children].
// Hosts before the first section are ungrouped, as in Ansible.
func parseINI(file string, data []byte) (*Inventory, error) {
	e := &errs{file: file}
	m := newModel(e)
	var (
		g    *group // nil before the first section: ungrouped
		kind = iniHosts
		skip bool // the section header was bad; its lines are not read
	)
	n := 0
	for line := range bytes.Lines(data) {
		n++
		p := pos{line: n}
		s := strings.TrimSpace(string(line))
		if s == "" || s[0] == '#' || s[0] == ';' {
			continue
		}
		if s[0] == '[' && !looksLikeHost(s) {
			g, kind, skip = m.iniHeader(s, p)
			continue
		}
		if skip || e.full() {
			continue
		}
		switch kind {
		case iniHosts:
			m.iniHostLine(g, s, p)
		case iniVars:
			m.iniVarLine(g, s, p)
		case iniChildren:
			name, _, _ := strings.Cut(s, "#")
			m.addChild(g, strings.TrimSpace(name), p)
		}
	}
	if e.failed() {
		return nil, e.join()
	}
	inv := m.resolve()
	if e.failed() {
		return nil, e.join()
	}
	return inv, nil
}

// looksLikeHost tells a bracketed IPv6 host line ("[::1]:22 ...") from a
// section header.
func looksLikeHost(s string) bool {
	end := strings.IndexByte(s, ']')
	return end > 0 && strings.Count(s[:end], ":") >= 2 && strings.Trim(s[1:end], "0123456789abcdefABCDEF:.") == ""
}

// iniHeader reads a section header.
func (m *model) iniHeader(s string, p pos) (*group, iniSection, bool) {
	sm := sectionRe.FindStringSubmatch(s)
	if sm == nil {
		m.e.add(p, "%s is not a section header: write [group], [group:vars] or [group:children]", short(s))
		return nil, iniHosts, true
	}
	g := m.group(sm[1], p)
	if g == nil {
		return nil, iniHosts, true
	}
	switch sm[2] {
	case "":
		return g, iniHosts, false
	case "vars":
		return g, iniVars, false
	case "children":
		return g, iniChildren, false
	}
	m.e.add(p, "section [%s:%s]: %s is not a section type; use :vars or :children", sm[1], sm[2], short(sm[2]))
	return nil, iniHosts, true
}

// iniHostLine reads "PATTERN [key=value ...]".
func (m *model) iniHostLine(g *group, s string, p pos) {
	words, err := shellSplit(s)
	if err != nil {
		m.e.add(p, "%v", err)
		return
	}
	if len(words) == 0 {
		return
	}
	vars := make(map[string]val)
	for _, w := range words[1:] {
		k, v, ok := strings.Cut(w, "=")
		if !ok || k == "" {
			m.e.add(p, "%s is not key=value (a host line is a host followed by key=value pairs)", short(w))
			return
		}
		if !setVar(m.e, vars, k, val{s: v, p: p}) {
			return
		}
	}
	pattern, port := splitHostPort(words[0])
	if port != "" {
		vars["ansible_port"] = val{s: port, p: p}
	}
	names, err := expandHosts(pattern, MaxHosts)
	if err != nil {
		m.e.add(p, "%v", err)
		return
	}
	if !m.roomFor(len(names)-m.known(names), p) {
		return
	}
	for _, name := range names {
		m.addHost(g, name, p, vars)
	}
}

// known counts the names already defined (they take no new room).
func (m *model) known(names []string) int {
	n := 0
	for _, name := range names {
		if _, ok := m.hosts[name]; ok {
			n++
		}
	}
	return n
}

// iniVarLine reads "key=value" in a [group:vars] section.
func (m *model) iniVarLine(g *group, s string, p pos) {
	k, v, ok := strings.Cut(s, "=")
	k, v = strings.TrimSpace(k), strings.TrimSpace(v)
	if !ok || k == "" || strings.ContainsAny(k, " \t") {
		m.e.add(p, "%s is not key=value", short(s))
		return
	}
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		v = v[1 : len(v)-1]
	}
	setVar(m.e, g.vars, k, val{s: v, p: p})
}

// splitHostPort splits "host:port" and "[v6]:port"; a bare IPv6 address
// (several colons) has no port.
func splitHostPort(s string) (host, port string) {
	if strings.HasPrefix(s, "[") {
		if end := strings.Index(s, "]:"); end > 0 && looksLikeHost(s) {
			return s[1:end], s[end+2:]
		}
		if strings.HasSuffix(s, "]") && looksLikeHost(s) {
			return s[1 : len(s)-1], ""
		}
	}
	if outsideBrackets(s, ':') != 1 {
		return s, ""
	}
	i := strings.LastIndexByte(s, ':')
	return s[:i], s[i+1:]
}

// outsideBrackets counts c in s outside [ranges].
func outsideBrackets(s string, c byte) int {
	n, depth := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
		case c:
			if depth == 0 {
				n++
			}
		}
	}
	return n
}
