package inventory

import (
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// Anchors and aliases in an Ansible YAML inventory. PyYAML resolves them,
// so inventories use them (vars: &defaults ..., <<: *defaults). sysroll
// resolves them only where it reads a value, never by copying the tree:
// an alias is a pointer to its anchor's node, and the merges of one vars
// mapping are bounded (maxMerges), so an alias bomb costs nothing.
const maxMerges = 64

// anchorVisitor records every &anchor of a document.
type anchorVisitor struct {
	m   *model
	out map[string]ast.Node
}

func (v anchorVisitor) Visit(n ast.Node) ast.Visitor {
	a, ok := n.(*ast.AnchorNode)
	if !ok {
		return v
	}
	name, _ := scalarText(a.Name)
	if _, dup := v.out[name]; dup {
		v.m.e.add(nodePos(a), "anchor &%s is defined twice: give each anchor its own name", name)
		return v
	}
	v.out[name] = a.Value
	return v
}

// collectAnchors walks the document once for its anchors.
func (m *model) collectAnchors(body ast.Node) {
	m.anchors = make(map[string]ast.Node)
	ast.Walk(anchorVisitor{m: m, out: m.anchors}, body)
}

// deref follows an alias to its anchor's node (anchors and tags unwrapped);
// an unknown alias is reported and becomes null.
func (m *model) deref(n ast.Node) ast.Node {
	n = unwrap(n)
	a, ok := n.(*ast.AliasNode)
	if !ok {
		return n
	}
	name, _ := scalarText(a.Value)
	target, ok := m.anchors[name]
	if !ok {
		m.e.add(nodePos(a), "alias *%s has no anchor &%s before it", name, name)
		return &ast.NullNode{BaseNode: &ast.BaseNode{}}
	}
	if _, again := unwrap(target).(*ast.AliasNode); again {
		return &ast.NullNode{BaseNode: &ast.BaseNode{}} // YAML has no alias of an alias
	}
	return unwrap(target)
}

// aliased reports (and refuses) an alias where a group, its hosts: or its
// children: belong: only variables may be aliased. A group tree of
// aliases may be a loop (a: &a {children: {b: *a}}) or grow exponentially,
// and no inventory needs it; vars are read, never walked as a tree.
func (m *model) aliased(n ast.Node, what string) bool {
	if _, ok := unwrap(n).(*ast.AliasNode); !ok {
		return false
	}
	m.e.add(nodePos(n), "%s is an alias: sysroll resolves aliases in variables only; write the %s out (or share it through children:)", what, strings.Fields(what)[0])
	return true
}

// mergeSources are the mappings a merge key (<<: *a or <<: [*a, *b]) names.
func (m *model) mergeSources(v ast.Node) []*ast.MappingNode {
	var out []*ast.MappingNode
	add := func(n ast.Node) {
		if mm, ok := m.deref(n).(*ast.MappingNode); ok {
			out = append(out, mm)
		} else {
			m.e.add(nodePos(n), "a merge key (<<) takes a mapping or a list of them, got %s", describe(m.deref(n)))
		}
	}
	if seq, ok := m.deref(v).(*ast.SequenceNode); ok {
		for _, item := range seq.Values {
			add(item)
		}
		return out
	}
	add(v)
	return out
}
