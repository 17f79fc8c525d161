package inventory

import (
	"encoding/json"
	"fmt"
)

// document reads the top-level object: groups and _meta.
func (r *jsonReader) document() error {
	err := r.object("an ansible-inventory --list document", func(key string, p pos) error {
		if key == "_meta" {
			return r.meta()
		}
		if _, dup := r.groups[key]; dup {
			return r.fail(p, "group %s appears twice", short(key))
		}
		if len(r.groups) >= MaxGroups {
			return r.fail(p, "more than %d groups", MaxGroups)
		}
		g := &jsonGroup{p: p, vars: make(map[string]val)}
		r.groups[key] = g
		r.order = append(r.order, key)
		return r.group(key, g)
	})
	if err != nil {
		return err
	}
	if _, _, err := r.token(); err == nil {
		return r.fail(r.posAt(r.dec.InputOffset()), "more JSON after the inventory document")
	}
	return nil
}

// group reads {hosts, vars, children}, or the older bare list of hosts.
func (r *jsonReader) group(name string, g *jsonGroup) error {
	if !r.dec.More() {
		return nil
	}
	if r.peek() == '[' {
		hosts, err := r.strings("group " + name)
		g.hosts = hosts
		return err
	}
	if r.peek() == 'n' { // null: an empty group
		return r.skip()
	}
	return r.object("group "+name, func(key string, p pos) error {
		var err error
		switch key {
		case "hosts":
			g.hosts, err = r.strings("hosts of group " + name)
		case "children":
			g.children, err = r.strings("children of group " + name)
		case "vars":
			g.vars, err = r.varsObject("vars of group " + name)
		default:
			return r.fail(p, "unknown key %s in group %s: a group has hosts, vars and children", short(key), name)
		}
		return err
	})
}

// peek is the first byte of the next value.
func (r *jsonReader) peek() byte {
	i := int(r.dec.InputOffset())
	for i < len(r.data) && (r.data[i] == ' ' || r.data[i] == '\t' || r.data[i] == '\r' || r.data[i] == '\n' || r.data[i] == ',' || r.data[i] == ':') {
		i++
	}
	if i < len(r.data) {
		return r.data[i]
	}
	return 0
}

// meta reads _meta: {hostvars: {HOST: {VAR: value}}}.
func (r *jsonReader) meta() error {
	return r.object("_meta", func(key string, p pos) error {
		if key != "hostvars" {
			return r.skip()
		}
		return r.object("_meta.hostvars", func(host string, p pos) error {
			if len(r.vars) >= MaxHosts {
				return r.fail(p, "more than %d hosts in _meta.hostvars", MaxHosts)
			}
			vars, err := r.varsObject("hostvars of " + host)
			r.vars[host], r.varsP[host] = vars, p
			return err
		})
	})
}

// varsObject reads an object of variables.
func (r *jsonReader) varsObject(what string) (map[string]val, error) {
	out := make(map[string]val)
	if r.peek() == 'n' {
		return out, r.skip()
	}
	err := r.object(what, func(key string, p pos) error {
		if !keepVar(key) {
			return r.skip()
		}
		if _, ok := out[key]; !ok && len(out) >= maxVars {
			return r.fail(p, "%s: more than %d sysroll_ and connection variables", what, maxVars)
		}
		v, err := r.value()
		out[key] = v
		return err
	})
	return out, err
}

// value reads one variable's value, keeping scalars and flat lists and
// objects of scalars; anything deeper is skipped (kind other).
func (r *jsonReader) value() (val, error) {
	switch r.peek() {
	case '[', '{':
	default:
		tok, p, err := r.token()
		if err != nil {
			return val{}, err
		}
		s, typed := scalarJSON(tok)
		return val{s: s, typed: typed, p: p}, nil
	}
	tok, p, err := r.token()
	if err != nil {
		return val{}, err
	}
	v := val{kind: list, p: p}
	if tok == json.Delim('{') {
		v.kind, v.m = mapping, make(map[string]string)
	}
	for n := 0; r.dec.More(); n++ {
		if n == MaxInstances {
			return val{}, r.fail(p, "more than %d items in one value", MaxInstances)
		}
		var key string
		if v.kind == mapping {
			k, _, err := r.token()
			if err != nil {
				return val{}, err
			}
			key = k.(string)
		}
		if c := r.peek(); c == '[' || c == '{' {
			v.kind = other
			if err := r.skip(); err != nil {
				return val{}, err
			}
			continue
		}
		t, _, err := r.token()
		if err != nil {
			return val{}, err
		}
		s, _ := scalarJSON(t)
		switch v.kind {
		case list:
			v.items = append(v.items, s)
		case mapping:
			v.m[key] = s
		}
	}
	if _, ok := v.m["__ansible_vault"]; ok {
		v.vault = true
	}
	_, _, err = r.token()
	return v, err
}

func scalarJSON(tok json.Token) (string, bool) {
	switch x := tok.(type) {
	case string:
		return x, false
	case json.Number:
		return x.String(), true
	case bool:
		return fmt.Sprint(x), true
	}
	return "", true // null
}

// build turns what was read into the Ansible model, then resolves it.
func (r *jsonReader) build() (*Inventory, error) {
	e := &errs{file: r.file}
	m := newModel(e)
	for _, name := range r.order {
		m.group(name, r.groups[name].p)
	}
	for _, name := range r.order {
		jg := r.groups[name]
		g := m.groups[name]
		if g == nil {
			continue
		}
		g.vars = jg.vars
		for _, c := range jg.children {
			m.addChild(g, c.name, c.p)
		}
		for _, h := range jg.hosts {
			vars, p := r.vars[h.name], h.p
			if vp, ok := r.varsP[h.name]; ok {
				p = vp
			}
			m.addHost(g, h.name, p, vars)
		}
	}
	for _, h := range sortedKeys(r.vars) {
		if _, ok := m.hosts[h]; !ok {
			m.addHost(nil, h, r.varsP[h], r.vars[h])
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
