package inventory

import (
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/sysroll/sysroll/internal/yamlpos"
)

// parseYAML parses a YAML inventory: sysroll's own (hosts: a list, and
// defaults:) or Ansible's (groups at the top). f is FormatNative,
// FormatYAML or FormatAuto (decide from the keys).
func parseYAML(file string, data []byte, f Format) (*Inventory, error) {
	body, err := parseYAMLTree(file, data)
	if err != nil {
		return nil, err
	}
	if body == nil || isNull(body) {
		return finish(nil, nil), nil
	}
	if f == FormatAuto {
		f = FormatYAML
		if isNative(body) {
			f = FormatNative
		}
	}
	if f == FormatNative {
		return decodeNative(file, body, false)
	}
	return decodeAnsibleYAML(file, body)
}

// isNative reports whether a YAML document is sysroll's format: a list of
// hosts, or a mapping with defaults: or with hosts: a list (an Ansible
// group named "hosts" is a mapping). Other keys beside them are then
// reported as unknown, with a suggestion, rather than read as groups.
func isNative(body ast.Node) bool {
	m, ok := unwrap(body).(*ast.MappingNode)
	if !ok {
		_, list := unwrap(body).(*ast.SequenceNode)
		return list
	}
	for _, kv := range m.Values {
		switch k, _ := scalarText(kv.Key); k {
		case "defaults":
			return true
		case "hosts":
			if _, list := unwrap(kv.Value).(*ast.SequenceNode); list {
				return true
			}
		}
	}
	return false
}

// decodeAnsibleYAML reads Ansible's YAML inventory: top-level groups (all:
// usually), each a mapping of hosts:, vars: and children: (groups again).
func decodeAnsibleYAML(file string, body ast.Node) (*Inventory, error) {
	e := &errs{file: file}
	m := newModel(e)
	top, ok := unwrap(body).(*ast.MappingNode)
	if !ok {
		return nil, at(file, body, "an Ansible YAML inventory is a mapping of groups (all: {hosts: ..., children: ...}), got %s", describe(body))
	}
	m.collectAnchors(body)
	for _, kv := range top.Values {
		m.yamlGroup(kv.Key, kv.Value, nil, 0)
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

// yamlGroup reads one group's body; parent is the group it is a child of,
// depth how many children: levels down it is. The depth is bounded: an
// alias can make the tree a loop (a: &a {children: {b: *a}}).
func (m *model) yamlGroup(keyNode, body ast.Node, parent *group, depth int) {
	if depth > MaxGroupDepth {
		m.e.addOnce("depth", nodePos(keyNode), "groups nested more than %d deep through children (an alias loop?)", MaxGroupDepth)
		return
	}
	name, ok := scalarText(keyNode)
	if !ok {
		m.e.add(nodePos(keyNode), "a group name must be a plain name, got %s", describe(keyNode))
		return
	}
	p := nodePos(keyNode)
	var g *group
	if parent != nil {
		m.addChild(parent, name, p)
		g = m.groups[name]
	} else {
		g = m.group(name, p)
	}
	if g == nil || isNull(body) || m.e.full() || m.aliased(body, "group "+name) {
		return
	}
	body = unwrap(body)
	mb, ok := body.(*ast.MappingNode)
	if !ok {
		m.e.add(nodePos(body), "group %s must be a mapping of hosts:, vars: and children:, got %s", name, describe(body))
		return
	}
	for _, kv := range mb.Values {
		k, _ := scalarText(kv.Key)
		switch {
		case isNull(m.deref(kv.Value)):
		case m.aliased(kv.Value, k+" of group "+name):
		case k == "hosts":
			m.yamlHosts(g, kv.Value)
		case k == "vars":
			vars := m.yamlVars(kv.Value)
			for _, vk := range sortedKeys(vars) {
				setVar(m.e, g.vars, vk, vars[vk])
			}
		case k == "children":
			cm, ok := unwrap(kv.Value).(*ast.MappingNode)
			if !ok {
				m.e.add(nodePos(kv.Value), "children of group %s must be a mapping of groups, got %s", name, describe(kv.Value))
				continue
			}
			for _, c := range cm.Values {
				m.yamlGroup(c.Key, c.Value, g, depth+1)
			}
		default:
			m.e.add(nodePos(kv.Key), "unknown key %s in group %s: a group has hosts:, vars: and children:", short(k), name)
		}
	}
}

// yamlHosts reads a group's hosts: mapping of host (pattern) to its vars.
func (m *model) yamlHosts(g *group, n ast.Node) {
	hm, ok := unwrap(n).(*ast.MappingNode)
	if !ok {
		m.e.add(nodePos(n), "hosts of group %s must be a mapping of host names to their variables, got %s", g.name, describe(n))
		return
	}
	for _, kv := range hm.Values {
		p := nodePos(kv.Key)
		pattern, ok := scalarText(kv.Key)
		if !ok {
			m.e.add(p, "a host name must be a plain name, got %s", describe(kv.Key))
			continue
		}
		vars := make(map[string]val)
		if !isNull(m.deref(kv.Value)) {
			vars = m.yamlVars(kv.Value)
		}
		pattern, port := splitHostPort(pattern)
		if port != "" {
			vars["ansible_port"] = val{s: port, p: p}
		}
		names, err := expandHosts(pattern, MaxHosts)
		if err != nil {
			m.e.add(p, "%v", err)
			continue
		}
		if !m.roomFor(len(names)-m.known(names), p) {
			return
		}
		for _, name := range names {
			m.addHost(g, name, p, vars)
		}
	}
}

// yamlVars reads a vars mapping into vals; merge keys (<<: *defaults)
// bring in their mappings' variables first, which the mapping's own keys
// then override, as in YAML.
func (m *model) yamlVars(n ast.Node) map[string]val {
	out := make(map[string]val)
	merges := 0
	m.varsInto(out, n, &merges)
	return out
}

func (m *model) varsInto(out map[string]val, n ast.Node, merges *int) {
	vm, ok := m.deref(n).(*ast.MappingNode)
	if !ok {
		m.e.add(nodePos(n), "variables must be a mapping (key: value), got %s", describe(m.deref(n)))
		return
	}
	for _, kv := range vm.Values {
		if !kv.Key.IsMergeKey() {
			continue
		}
		for _, src := range m.mergeSources(kv.Value) {
			if *merges++; *merges > maxMerges {
				if *merges == maxMerges+1 { // reported once; the rest unwinds
					m.e.add(nodePos(kv.Key), "more than %d merges (<<) in one vars mapping", maxMerges)
				}
				return
			}
			m.varsInto(out, src, merges)
		}
	}
	for _, kv := range vm.Values {
		if kv.Key.IsMergeKey() {
			continue
		}
		k, ok := scalarText(kv.Key)
		if !ok {
			m.e.add(nodePos(kv.Key), "variable names must be plain names, got %s", describe(kv.Key))
			continue
		}
		if !setVar(m.e, out, k, m.yamlVal(kv.Value)) {
			return
		}
	}
}

// yamlVal keeps what sysroll may read of a YAML value.
func (m *model) yamlVal(n ast.Node) val {
	v := val{p: nodePos(n)}
	if t, ok := n.(*ast.TagNode); ok && t.Start != nil && t.Start.Value == "!vault" {
		v.vault = true
	}
	if a, ok := unwrap(n).(*ast.AliasNode); ok {
		if t, ok := m.anchors[aliasName(a)].(*ast.TagNode); ok && t.Start != nil && t.Start.Value == "!vault" {
			v.vault = true
		}
	}
	switch x := m.deref(n).(type) {
	case *ast.SequenceNode:
		v.kind = list
		for _, item := range x.Values {
			s, ok := scalarText(m.deref(item))
			if !ok {
				v.kind = other
				break
			}
			v.items = append(v.items, s)
		}
	case *ast.MappingNode:
		v.kind = mapping
		v.m = make(map[string]string)
		for _, kv := range x.Values {
			k, ok1 := scalarText(kv.Key)
			s, ok2 := scalarText(m.deref(kv.Value))
			if !ok1 || !ok2 {
				v.kind = other
				break
			}
			v.m[k] = s
		}
	default:
		s, ok := scalarText(x)
		if !ok {
			v.kind = other
		}
		v.s = s
		_, str := x.(*ast.StringNode)
		v.typed = !str
	}
	return v
}

func aliasName(a *ast.AliasNode) string {
	name, _ := scalarText(a.Value)
	return name
}

// unwrap strips anchors and tags, which carry no meaning for us.
func unwrap(n ast.Node) ast.Node { return yamlpos.Unwrap(n) }

func isNull(n ast.Node) bool { return yamlpos.IsNull(n) }

// scalarText is a scalar's text as written; false for anything else. An
// inventory takes more as text than a service file: null is "", infinity
// and NaN are their words, and a literal block loses its final newline
// (Ansible variables are compared as written).
func scalarText(n ast.Node) (string, bool) {
	switch v := unwrap(n).(type) {
	case *ast.LiteralNode:
		return strings.TrimSuffix(v.Value.Value, "\n"), true
	case *ast.NullNode:
		return "", true
	case *ast.InfinityNode, *ast.NanNode:
		if v.GetToken() == nil {
			return "", false
		}
		return v.GetToken().Value, true
	}
	return yamlpos.Text(n)
}

// describe names a node's kind the way a YAML user thinks of it; integers
// are numbers, as Ansible users call them.
func describe(n ast.Node) string {
	if _, ok := unwrap(n).(*ast.IntegerNode); ok {
		return "a number"
	}
	return yamlpos.Describe(n)
}
