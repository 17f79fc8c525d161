package inventory

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// valKind is the shape of an Ansible variable's value.
type valKind int

const (
	scalar valKind = iota
	list
	mapping
	other // a nested structure sysroll does not read
)

// val is one Ansible variable as written, with where it is. INI values are
// all scalars; YAML and JSON values keep their type for the few variables
// whose type matters (ansible_become, sysroll_instances, sysroll_labels).
type val struct {
	kind  valKind
	s     string            // scalar text
	typed bool              // s came from a typed YAML/JSON scalar (a bool, a number)
	items []string          // list of scalars
	m     map[string]string // mapping of scalars
	vault bool              // an Ansible Vault value (!vault, $ANSIBLE_VAULT, __ansible_vault)
	p     pos
}

type ref struct {
	name string
	p    pos
}

type group struct {
	name     string
	p        pos
	vars     map[string]val
	children []ref
	parents  []string
	hosts    []string
}

type hostDef struct {
	name   string
	p      pos
	vars   map[string]val
	groups []string // direct membership
}

// model is an Ansible inventory as Ansible sees it before variables are
// merged: groups with vars and children, hosts with their own vars. INI,
// YAML and JSON inventories all build one; resolve turns it into Hosts.
type model struct {
	e      *errs
	groups map[string]*group
	hosts  map[string]*hostDef
	full   bool // MaxHosts or MaxGroups was reached and reported
	// anchors of a YAML inventory, by name (see yaml_alias.go).
	anchors map[string]ast.Node
}

func newModel(e *errs) *model {
	return &model{e: e, groups: make(map[string]*group), hosts: make(map[string]*hostDef)}
}

// group returns the group named name, creating it; nil when the name is
// invalid or there are too many groups (both reported).
func (m *model) group(name string, p pos) *group {
	if g, ok := m.groups[name]; ok {
		return g
	}
	if why := checkGroupName(name); why != "" {
		m.e.add(p, "group name %s %s", short(name), why)
		return nil
	}
	if len(m.groups) >= MaxGroups {
		if !m.full {
			m.e.add(p, "more than %d groups", MaxGroups)
			m.full = true
		}
		return nil
	}
	g := &group{name: name, p: p, vars: make(map[string]val)}
	m.groups[name] = g
	return g
}

// roomFor reports whether n more hosts fit under MaxHosts, reporting once
// when they do not.
func (m *model) roomFor(n int, p pos) bool {
	if len(m.hosts)+n <= MaxHosts {
		return true
	}
	if !m.full {
		m.e.add(p, "more than %d hosts (%d so far, %d more here): an inventory may have at most %d", MaxHosts, len(m.hosts), n, MaxHosts)
		m.full = true
	}
	return false
}

// addHost records host name in group g (nil: no group) with its own vars.
// A host may be listed in several groups; its vars merge, but two
// different addresses for one host are refused rather than one silently
// winning (Ansible's last-wins makes the order of sections matter).
func (m *model) addHost(g *group, name string, p pos, vars map[string]val) {
	if why := checkHostName(name); why != "" {
		m.e.add(p, "host name %s %s", short(name), why)
		return
	}
	h, ok := m.hosts[name]
	if !ok {
		if !m.roomFor(1, p) {
			return
		}
		h = &hostDef{name: name, p: p, vars: make(map[string]val)}
		m.hosts[name] = h
	}
	for _, k := range sortedKeys(vars) {
		v := vars[k]
		if old, seen := h.vars[k]; seen && isAddressVar(k) && old.s != v.s {
			m.e.add(v.p, "host %s has two addresses: %s here and %s at line %d; give it one", name, short(v.s), short(old.s), old.p.line)
			continue
		}
		h.vars[k] = v
	}
	if g != nil && !slices.Contains(h.groups, g.name) {
		h.groups = append(h.groups, g.name)
		g.hosts = append(g.hosts, name)
	}
}

// addChild makes child a child group of parent.
func (m *model) addChild(parent *group, child string, p pos) {
	c := m.group(child, p)
	if c == nil || slices.ContainsFunc(parent.children, func(r ref) bool { return r.name == child }) {
		return
	}
	parent.children = append(parent.children, ref{child, p})
	c.parents = append(c.parents, parent.name)
}

func isAddressVar(k string) bool { return k == "ansible_host" || k == "ansible_ssh_host" }

// resolve checks the group graph and merges each host's variables the way
// Ansible does (all, then groups from shallow to deep and by name, then the
// host's own), then maps them onto Hosts.
func (m *model) resolve() *Inventory {
	all := m.group("all", pos{})
	if m.e.failed() || all == nil {
		return nil
	}
	if m.cyclic() {
		return nil
	}
	for _, name := range sortedKeys(m.groups) {
		if g := m.groups[name]; name != "all" && len(g.parents) == 0 {
			g.parents = []string{"all"}
		}
	}
	for _, name := range sortedKeys(m.groups) {
		m.priority(name) // reports a bad one, whether or not a sort needs it
	}
	depth := make(map[string]int)
	var hosts []Host
	for _, name := range sortedKeys(m.hosts) {
		hd := m.hosts[name]
		if len(hd.groups) == 0 || len(hd.groups) == 1 && hd.groups[0] == "all" {
			// As in Ansible: a host in no group but all is in ungrouped.
			if ug := m.group("ungrouped", hd.p); ug != nil {
				hd.groups, ug.hosts = append(hd.groups, "ungrouped"), append(ug.hosts, name)
				if len(ug.parents) == 0 {
					ug.parents = []string{"all"}
				}
			}
		}
		groups := m.ancestors(hd.groups)
		if len(groups) > MaxHostGroups+1 {
			m.e.add(hd.p, "host %s is in %d groups, more than the %d allowed", name, len(groups)-1, MaxHostGroups)
			return nil
		}
		if d := m.deepest(groups, depth); d > MaxGroupDepth {
			m.e.add(hd.p, "host %s is in groups nested %d deep through children, more than the %d allowed", name, d, MaxGroupDepth)
			return nil
		}
		slices.SortStableFunc(groups, func(a, b string) int {
			if d := m.depth(a, depth) - m.depth(b, depth); d != 0 {
				return d
			}
			if d := m.priority(a) - m.priority(b); d != 0 {
				return d
			}
			return strings.Compare(a, b)
		})
		vars := make(map[string]val)
		layers := make([]map[string]val, 0, len(groups)+1)
		for _, g := range groups {
			maps.Copy(vars, m.groups[g].vars)
			layers = append(layers, m.groups[g].vars)
		}
		maps.Copy(vars, hd.vars)
		h := hostFromVars(m.e, hd, vars)
		h.Labels = labelsFrom(m.e, hd.name, append(layers, hd.vars))
		checkHost(m.e, hd.p, &h)
		h.Groups = slices.DeleteFunc(slices.Sorted(slices.Values(groups)), func(g string) bool { return g == "all" })
		hosts = append(hosts, h)
	}
	if m.e.failed() {
		return nil
	}
	return finish(hosts, slices.Collect(maps.Keys(m.groups)))
}

// priority is a group's ansible_group_priority (default 1): among groups
// of one depth, a higher one merges later and so wins, as in Ansible. A
// value that is not a number is reported.
func (m *model) priority(name string) int {
	v, ok := m.groups[name].vars["ansible_group_priority"]
	if !ok {
		return 1
	}
	n, err := strconv.Atoi(v.s)
	if err != nil || n < -1000000 || n > 1000000 {
		m.e.addOnce("ansible_group_priority", v.p, "group %s: ansible_group_priority %s is not a whole number", name, short(v.s))
		return 1
	}
	return n
}

// deepest is the largest depth of the groups.
func (m *model) deepest(groups []string, memo map[string]int) int {
	d := 0
	for _, g := range groups {
		d = max(d, m.depth(g, memo))
	}
	return d
}

// ancestors is the groups given and every group above them, "all" included.
func (m *model) ancestors(direct []string) []string {
	seen := map[string]bool{"all": true}
	out := []string{"all"}
	stack := slices.Clone(direct)
	for len(stack) > 0 {
		g := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[g] {
			continue
		}
		seen[g] = true
		if out = append(out, g); len(out) > MaxHostGroups+1 {
			return out
		}
		stack = append(stack, m.groups[g].parents...)
	}
	return out
}

// depth is a group's longest distance from "all" (Ansible's group depth,
// which orders variable precedence). The graph is acyclic by now.
func (m *model) depth(name string, memo map[string]int) int {
	if d, ok := memo[name]; ok {
		return d
	}
	d := 0
	if name != "all" {
		for _, p := range m.groups[name].parents {
			d = max(d, m.depth(p, memo)+1)
		}
	}
	memo[name] = d
	return d
}

// cyclic reports (and returns true for) a group that is its own ancestor:
// Ansible refuses it too, and sysroll could not order its variables.
func (m *model) cyclic() bool {
	const (
		unseen = iota
		active
		done
	)
	state := make(map[string]int)
	var path []string
	var visit func(g *group) bool
	visit = func(g *group) bool {
		state[g.name] = active
		path = append(path, g.name)
		for _, c := range g.children {
			switch state[c.name] {
			case active:
				i := slices.Index(path, c.name)
				m.e.add(c.p, "groups form a cycle: %s", strings.Join(append(slices.Clone(path[i:]), c.name), " -> "))
				return true
			case unseen:
				if visit(m.groups[c.name]) {
					return true
				}
			}
		}
		path = path[:len(path)-1]
		state[g.name] = done
		return false
	}
	for _, name := range sortedKeys(m.groups) {
		if state[name] == unseen && visit(m.groups[name]) {
			return true
		}
	}
	return false
}

// sortedKeys returns a map's keys in order: every walk over a map is
// sorted, so errors and results never depend on map order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// source renders a position as "file:line".
func source(file string, p pos) string { return fmt.Sprintf("%s:%d", file, p.line) }
