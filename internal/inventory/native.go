package inventory

import (
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/goccy/go-yaml/ast"

	"github.com/sysroll/sysroll/internal/yamlpos"
)

var (
	hostKeys     = []string{"name", "address", "port", "user", "identity", "jump", "become", "labels", "instances"}
	defaultsKeys = []string{"port", "user", "identity", "jump", "become", "labels", "instances"}
	nativeKeys   = []string{"defaults", "hosts"}
)

// HostKeys are the keys of a host in sysroll's format (for config's JSON
// Schema test).
func HostKeys() []string { return slices.Clone(hostKeys) }

// DecodeHosts reads the hosts: value of a service file, already parsed by
// config (node is its YAML value; file the service file's name, for
// errors). The value is a list of hosts, or a mapping of defaults: and
// hosts: — the native format's body either way (see the package doc).
// Errors are an errors.Join of *Error at the service file's own lines and
// columns; a null node is an empty inventory.
//
// This package imports nothing of config, so config can call it: config's
// Hosts keeps the node, its decode calls DecodeHosts, and its Validate
// checks each Host.PortInstances against the {port} placeholders, as it
// does the service's own instances (config/fleet.go). Error is
// config.FieldError (yamlpos.Error), so the errors join config's as they
// are.
func DecodeHosts(file string, node ast.Node) (*Inventory, error) {
	if isNull(node) {
		return finish(nil, nil), nil
	}
	return decodeNative(file, node, true)
}

// decodeNative reads sysroll's own format. Every problem is reported, each
// at its own line and column; unknown keys are errors with a suggestion.
func decodeNative(file string, body ast.Node, inService bool) (*Inventory, error) {
	e := &errs{file: file}
	var def Host
	var list ast.Node
	switch n := unwrap(body).(type) {
	case *ast.SequenceNode:
		list = n
	case *ast.MappingNode:
		for _, kv := range n.Values {
			switch k, _ := scalarText(kv.Key); k {
			case "defaults":
				decodeHostFields(e, kv.Value, &def, defaultsKeys, "defaults")
			case "hosts":
				list = kv.Value
			default:
				e.add(nodePos(kv.Key), "unknown key %s: an inventory has defaults: and hosts:%s", short(k), suggest(k, nativeKeys))
			}
		}
	default:
		what := "an inventory"
		if inService {
			what = "hosts:"
		}
		e.add(nodePos(body), "%s must be a list of hosts or a mapping of defaults: and hosts:, got %s", what, describe(body))
	}
	hosts := decodeHostList(e, list, def)
	if e.failed() {
		return nil, e.join()
	}
	return finish(hosts, groupsOf(hosts)), nil
}

func decodeHostList(e *errs, list ast.Node, def Host) []Host {
	if isNull(list) {
		return nil
	}
	seq, ok := unwrap(list).(*ast.SequenceNode)
	if !ok {
		e.add(nodePos(list), "hosts must be a list ([{name: app1, address: 10.0.0.11}]), got %s", describe(list))
		return nil
	}
	if len(seq.Values) > MaxHosts {
		e.add(nodePos(list), "%d hosts, more than the %d an inventory may have", len(seq.Values), MaxHosts)
		return nil
	}
	seen := make(map[string]pos)
	machines := make(map[string]string)
	var (
		hosts  []Host
		places []pos
	)
	for i, item := range seq.Values {
		h := def
		h.Labels = maps.Clone(def.Labels)
		p := nodePos(item)
		h.Source = source(e.file, p)
		decodeHostFields(e, item, &h, hostKeys, fmt.Sprintf("hosts[%d]", i))
		if h.Name == "" {
			if _, isMap := unwrap(item).(*ast.MappingNode); isMap {
				e.add(p, "hosts[%d] needs a name: (what --limit and messages call it)", i)
			}
			continue
		}
		if first, dup := seen[h.Name]; dup {
			e.add(p, "host %s is listed twice (also at line %d)", h.Name, first.line)
			continue
		}
		seen[h.Name] = p
		checkHost(e, p, &h)
		if h.Address == "" {
			h.Address = h.Name
		}
		hosts, places = append(hosts, h), append(places, p)
	}
	for i, h := range hosts {
		if first, dup := machines[machineKey(h)]; dup && first != h.Name {
			e.add(places[i], "%s", sameMachine(first, h))
		} else {
			machines[machineKey(h)] = h.Name
		}
	}
	return hosts
}

// decodeHostFields decodes a host (or defaults) mapping into h.
func decodeHostFields(e *errs, n ast.Node, h *Host, keys []string, where string) {
	m, ok := unwrap(n).(*ast.MappingNode)
	if !ok {
		e.add(nodePos(n), "%s must be a mapping (name: app1, address: ...), got %s", where, describe(n))
		return
	}
	for _, kv := range m.Values {
		k, _ := scalarText(kv.Key)
		if !slices.Contains(keys, k) {
			e.add(nodePos(kv.Key), "unknown key %s in %s%s", short(k), where, suggest(k, keys))
			continue
		}
		v, p := kv.Value, nodePos(kv.Value)
		switch k {
		case "name", "address", "user", "identity", "jump":
			s, ok := plainString(v)
			if !ok {
				e.add(p, "%s.%s: expected a string, got %s", where, k, describe(v))
				continue
			}
			*stringField(h, k) = s
		case "port":
			s, _ := scalarText(v)
			if _, isInt := unwrap(v).(*ast.IntegerNode); !isInt {
				e.add(p, "%s.port: expected a port number, got %s", where, describe(v))
			} else if port, why := checkPort(s); why != "" {
				e.add(p, "%s.port: %s", where, why)
			} else {
				h.Port = port
			}
		case "become":
			b, ok := unwrap(v).(*ast.BoolNode)
			if !ok {
				e.add(p, "%s.become: expected true or false, got %s", where, describe(v))
				continue
			}
			h.Become = b.Value
		case "labels":
			decodeLabels(e, v, h, where)
		case "instances":
			h.Instances, h.CountedInstances = decodeInstances(e, v, where)
		}
	}
}

func stringField(h *Host, k string) *string {
	switch k {
	case "name":
		return &h.Name
	case "address":
		return &h.Address
	case "user":
		return &h.User
	case "identity":
		return &h.Identity
	}
	return &h.Jump
}

// plainString accepts a string, or a number written as a name (an address
// like 10.0.0.1 is a string already; a host named 1 is not refused).
func plainString(n ast.Node) (string, bool) {
	switch unwrap(n).(type) {
	case *ast.StringNode, *ast.IntegerNode, *ast.FloatNode:
		return scalarText(n)
	}
	return "", false
}

func decodeLabels(e *errs, n ast.Node, h *Host, where string) {
	m, ok := unwrap(n).(*ast.MappingNode)
	if !ok {
		e.add(nodePos(n), "%s.labels: expected a mapping ({zone: a, rack: r1}), got %s", where, describe(n))
		return
	}
	for _, kv := range m.Values {
		k, ok1 := plainString(kv.Key)
		v, ok2 := plainString(kv.Value)
		if !ok1 || !ok2 {
			e.add(nodePos(kv.Value), "%s.labels: keys and values are plain words", where)
			continue
		}
		if why := checkLabel(k, v); why != "" {
			e.add(nodePos(kv.Key), "%s.labels: %s", where, why)
			continue
		}
		setLabel(h, k, v)
	}
}

// decodeInstances reads instances as the service file writes them: a list
// ([8081, 8082], [web-1]) or {count: N, first_port: P}.
// counted says they were {count: N} without first_port: names, not ports.
func decodeInstances(e *errs, n ast.Node, where string) (names []string, counted bool) {
	switch v := unwrap(n).(type) {
	case *ast.SequenceNode:
		out := make([]string, 0, len(v.Values))
		for _, item := range v.Values {
			s, ok := plainString(item)
			if !ok {
				e.add(nodePos(item), "%s.instances: instance names are ports (8081) or names (web-1), got %s", where, describe(item))
				return nil, false
			}
			out = append(out, s)
		}
		if why := checkInstances(out); why != "" {
			e.add(nodePos(n), "%s.instances: %s", where, why)
			return nil, false
		}
		return out, false
	case *ast.MappingNode:
		var count, first int
		for _, kv := range v.Values {
			k, _ := scalarText(kv.Key)
			s, _ := scalarText(kv.Value)
			i, err := strconv.Atoi(s)
			_, isInt := unwrap(kv.Value).(*ast.IntegerNode)
			switch {
			case k != "count" && k != "first_port":
				e.add(nodePos(kv.Key), "%s.instances: unknown key %s%s", where, short(k), suggest(k, []string{"count", "first_port"}))
				return nil, false
			case !isInt || err != nil:
				e.add(nodePos(kv.Value), "%s.instances.%s: expected an integer, got %s", where, k, describe(kv.Value))
				return nil, false
			case k == "count":
				count = i
			default:
				first = i
			}
		}
		names, why := expandCount(count, first)
		if why != "" {
			e.add(nodePos(n), "%s.instances: %s", where, why)
		}
		return names, first == 0
	}
	e.add(nodePos(n), "%s.instances: expected a list ([8081, 8082]) or a mapping ({count: 2, first_port: 8081}), got %s", where, describe(n))
	return nil, false
}

// groupsOf is every group the hosts are in (none in the native format).
func groupsOf(hosts []Host) []string {
	var out []string
	for _, h := range hosts {
		out = append(out, h.Groups...)
	}
	return out
}

// suggest is "; did you mean X?" for the nearest of known, or "".
func suggest(s string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := distance(s, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %s?", best)
}

// distance is the Levenshtein distance of two short strings (yamlpos.Distance).
func distance(a, b string) int { return yamlpos.Distance(a, b) }
