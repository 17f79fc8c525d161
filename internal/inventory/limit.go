package inventory

import (
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"slices"
	"strings"
)

// maxPatternLength bounds a --limit pattern.
const maxPatternLength = 4096

// Limit selects hosts with Ansible's pattern syntax, as --limit does:
//
//	web              the hosts of group web, or the host named web
//	web,db  web:db   the union
//	web:&zone_a      in web and in zone_a
//	web:!web03       in web but not web03
//	web*  ?  [ab]*   globs over host and group names
//	~web0[12]        a regular expression (RE2) searched in host and group names
//	all  *           every host
//	zone=a           hosts with that label (sysroll's addition; group=web is
//	                 membership)
//
// As in Ansible, the plain items are joined first, then each &item
// intersects and each !item removes, whatever their order; a pattern of
// only & and ! items starts from all. Unlike Ansible, which warns and goes
// on, an item that matches nothing is an error: a typo in "web:!web3" must
// not roll web03 by surprise. So is an empty selection; both errors name
// what exists.
func (inv *Inventory) Limit(pattern string) (*Inventory, error) {
	items, err := splitPattern(pattern)
	if err != nil {
		return nil, err
	}
	var union, inter, excl []string
	for _, it := range items {
		switch it[0] {
		case '&':
			inter = append(inter, it[1:])
		case '!':
			excl = append(excl, it[1:])
		default:
			union = append(union, it)
		}
	}
	sel := make([]bool, len(inv.Hosts))
	if len(union) == 0 {
		union = []string{"all"}
	}
	for _, it := range union {
		m, err := inv.match(it, pattern)
		if err != nil {
			return nil, err
		}
		for i := range sel {
			sel[i] = sel[i] || m[i]
		}
	}
	for _, it := range inter {
		m, err := inv.match(it, pattern)
		if err != nil {
			return nil, err
		}
		for i := range sel {
			sel[i] = sel[i] && m[i]
		}
	}
	for _, it := range excl {
		m, err := inv.match(it, pattern)
		if err != nil {
			return nil, err
		}
		for i := range sel {
			sel[i] = sel[i] && !m[i]
		}
	}
	out := &Inventory{Groups: inv.Groups}
	for i, h := range inv.Hosts {
		if sel[i] {
			out.Hosts = append(out.Hosts, h)
		}
	}
	if len(out.Hosts) == 0 {
		return nil, fmt.Errorf("--limit %s selects no host; %s", short(pattern), inv.summary())
	}
	return out, nil
}

// splitPattern splits on ',' when there is one, else on ':' outside
// brackets and not inside a ~regex's brackets (an IPv6 host name needs
// the ',' form, as in Ansible).
func splitPattern(pattern string) ([]string, error) {
	if len(pattern) > maxPatternLength {
		return nil, fmt.Errorf("--limit pattern is %d bytes long, more than the %d allowed", len(pattern), maxPatternLength)
	}
	var items []string
	if strings.Contains(pattern, ",") {
		items = strings.Split(pattern, ",")
	} else if isIPv6(strings.TrimLeft(strings.TrimSpace(pattern), "&!")) {
		items = []string{pattern} // "::1" is one host, as in Ansible
	} else {
		depth, start := 0, 0
		for i := 0; i < len(pattern); i++ {
			switch pattern[i] {
			case '[':
				depth++
			case ']':
				depth--
			case ':':
				if depth == 0 {
					items = append(items, pattern[start:i])
					start = i + 1
				}
			}
		}
		items = append(items, pattern[start:])
	}
	out := items[:0]
	for _, it := range items {
		it = strings.TrimSpace(it)
		if it == "" {
			continue
		}
		if it == "&" || it == "!" {
			return nil, fmt.Errorf("--limit %s: %q is not followed by a host or group", short(pattern), it)
		}
		out = append(out, it)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--limit pattern is empty: name hosts or groups (web, web:!web03, ~web0[12])")
	}
	return out, nil
}

// match marks the hosts one item selects; an item that selects none is an
// error naming it.
func (inv *Inventory) match(item, pattern string) ([]bool, error) {
	name, err := matcher(item)
	if err != nil {
		return nil, fmt.Errorf("--limit %s: %w", short(pattern), err)
	}
	out := make([]bool, len(inv.Hosts))
	found := false
	for i, h := range inv.Hosts {
		if item == "all" || item == "*" || name(h.Name) || slices.ContainsFunc(h.Groups, name) || labelMatch(item, h) {
			out[i], found = true, true
		}
	}
	if !found {
		if item == strings.TrimSpace(pattern) {
			return nil, fmt.Errorf("--limit %s matches no host or group; %s", short(item), inv.summary())
		}
		return nil, fmt.Errorf("--limit %s: %s matches no host or group; %s", short(pattern), short(item), inv.summary())
	}
	return out, nil
}

func isIPv6(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is6()
}

// matcher compiles one item: ~regex, a glob, or an exact name.
func matcher(item string) (func(string) bool, error) {
	if re, ok := strings.CutPrefix(item, "~"); ok {
		rx, err := regexp.Compile(re)
		if err != nil {
			return nil, fmt.Errorf("%s is not a regular expression: %v", short(item), err)
		}
		return rx.MatchString, nil
	}
	if strings.ContainsAny(item, "*?[") {
		if _, err := path.Match(item, ""); err != nil {
			return nil, fmt.Errorf("%s is not a valid glob: %v", short(item), err)
		}
		return func(s string) bool { ok, _ := path.Match(item, s); return ok }, nil
	}
	return func(s string) bool { return s == item }, nil
}

// labelMatch is the KEY=VALUE item: a label, or group=NAME.
func labelMatch(item string, h Host) bool {
	k, v, ok := strings.Cut(item, "=")
	if !ok {
		return false
	}
	if k == "group" {
		return slices.Contains(h.Groups, v)
	}
	got, ok := h.Labels[k]
	return ok && got == v
}

// summary says what exists, for a selection that found nothing.
func (inv *Inventory) summary() string {
	const show = 10
	names := make([]string, 0, show)
	for _, h := range inv.Hosts[:min(show, len(inv.Hosts))] {
		names = append(names, h.Name)
	}
	s := fmt.Sprintf("the inventory has %d hosts (%s", len(inv.Hosts), strings.Join(names, ", "))
	if len(inv.Hosts) > show {
		s += ", …"
	}
	s += ")"
	if len(inv.Groups) > 0 {
		gs := inv.Groups[:min(20, len(inv.Groups))]
		s += " and groups " + strings.Join(gs, ", ")
		if len(inv.Groups) > 20 {
			s += ", …"
		}
	}
	return s
}
