package config

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/sysroll/sysroll/internal/fleet/plan"
	"github.com/sysroll/sysroll/internal/inventory"
)

// The fleet part of a service file: where the service runs (hosts:, or an
// inventory file named by fleet.inventory) and how its hosts are batched
// (fleet.hosts). internal/inventory and internal/fleet/plan decode their
// own keys; config hands them the nodes of this file, so their errors carry
// this file's lines and columns, and checks what only the whole service
// knows ({port} against each host's own instances).
//
// hosts: is inline only. A path there (hosts: inventory.ini) is refused with
// a pointer to fleet.inventory: reading another file is I/O that Parse does
// not do (render and lint read one file), so the inventory file is named
// here, resolved from the service file's directory (InventoryPath), and read
// by the fleet commands, which check it with CheckHosts.
//
// The single-host verbs (apply, deploy, render, lint, ...) act on this
// machine only and ignore both keys; Warnings says so, so an operator who
// runs deploy on a fleet's file is told the fleet part was not applied.

// Hosts is the hosts: key, sysroll's inventory format inline (see package
// inventory): a list of hosts, or a mapping of defaults: and hosts:.
type Hosts struct {
	// Inventory is the decoded hosts; nil when the file has no hosts:.
	Inventory *inventory.Inventory
	node      ast.Node
}

// UnmarshalYAML keeps the node: the hosts are decoded by package inventory
// once the whole file is read (decodeFleet), at this file's positions.
func (h *Hosts) UnmarshalYAML(n ast.Node) error {
	h.node = n
	return nil
}

// Fleet is the fleet: key: how a fleet rollout runs over the hosts.
type Fleet struct {
	// Hosts is the host strategy (batch or ramp, max_parallel,
	// max_per_label, order_by, failure_budget, failure_action,
	// min_available, reattach_deadline), decoded by package plan.
	Hosts FleetHosts `yaml:"hosts"`
	// Inventory names an inventory file (sysroll's format, Ansible INI or
	// YAML, or ansible-inventory --list JSON) instead of hosts:; a relative
	// path is from the service file's directory (see InventoryPath).
	Inventory string `yaml:"inventory"`
}

// FleetHosts is fleet.hosts, the host strategy.
type FleetHosts struct {
	// Strategy as written (no defaults filled in: Strategy.WithDefaults
	// does that where it is used); the zero Strategy when fleet.hosts is
	// not set.
	Strategy plan.Strategy
	node     ast.Node
}

// UnmarshalYAML keeps the node for plan.DecodeStrategy (decodeFleet).
func (h *FleetHosts) UnmarshalYAML(n ast.Node) error {
	h.node = n
	return nil
}

// IsFleet reports whether the file describes a fleet: hosts:, or any of
// fleet:.
func (s *Service) IsFleet() bool {
	return s.Hosts.Inventory != nil || s.Hosts.node != nil || s.Fleet.Inventory != "" || s.Fleet.Hosts.node != nil
}

// InventoryPath is fleet.inventory resolved from the service file's
// directory (as written when absolute, or when the Service was not read
// from a file); "" when unset.
func (s *Service) InventoryPath() string {
	p := s.Fleet.Inventory
	if p == "" || filepath.IsAbs(p) || s.src == nil || s.src.file == "" {
		return p
	}
	return filepath.Join(filepath.Dir(s.src.file), p)
}

// decodeFleet decodes hosts: and fleet.hosts from the nodes decodeNode
// kept, adding every problem to e as the inventory and the strategy report
// it (*FieldError, at this file's positions).
func (s *Service) decodeFleet(e *errs) {
	file := ""
	if s.src != nil {
		file = s.src.file
	}
	if n := s.Hosts.node; n != nil {
		if str, ok := unwrap(n).(*ast.StringNode); ok {
			e.addNode(n, at("hosts"), "is inline only (a list of hosts, or defaults: and hosts:); for an inventory file write fleet: {inventory: %s}", short(str.Value))
		} else {
			inv, err := inventory.DecodeHosts(file, n)
			e.list = append(e.list, unjoin(err)...)
			s.Hosts.Inventory = inv
		}
	}
	if n := s.Fleet.Hosts.node; n != nil {
		st, err := plan.DecodeStrategy(file, n)
		e.list = append(e.list, unjoin(err)...)
		s.Fleet.Hosts.Strategy = st
	}
}

// unjoin is the errors of an errors.Join, or err alone.
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// validateFleet checks what the fleet keys cannot check on their own. It
// runs last: checkTemplate has recorded in e.portUse which setting uses
// {port}.
func (s *Service) validateFleet(e *errs) {
	if s.Fleet.Inventory != "" && s.Hosts.Inventory != nil {
		e.add(at("fleet", "inventory"), "hosts: already lists the hosts: keep hosts: or fleet.inventory, not both")
	}
	if p := s.Fleet.Inventory; p != "" && (strings.HasSuffix(p, "/") || p == "." || p == "..") {
		e.add(at("fleet", "inventory"), "%s is a directory: name the inventory file", short(p))
	}
	if s.Hosts.Inventory != nil {
		s.checkHostPorts(e, s.Hosts.Inventory, true)
	}
}

// CheckHosts checks an inventory read from fleet.inventory (or named on
// the command line) against the service, as Validate checks hosts:: a host
// whose own instances are not ports cannot run a service that uses {port}.
// Each error names the host and the line that defines it.
func (s *Service) CheckHosts(inv *inventory.Inventory) error {
	probe := &errs{src: s.src}
	s.validate(probe) // for probe.portUse; its problems are Validate's to report
	e := &errs{src: s.src, portUse: probe.portUse}
	s.checkHostPorts(e, inv, false)
	return e.join()
}

// checkHostPorts reports each host whose own instances are not ports while
// the service uses {port} (the service's own instances are checkTemplate's).
// inline says inv is hosts:, whose nodes give each error its position.
func (s *Service) checkHostPorts(e *errs, inv *inventory.Inventory, inline bool) {
	if e.portUse == nil || inv == nil {
		return
	}
	for _, h := range inv.Hosts {
		if h.PortInstances() {
			continue
		}
		msg := fmt.Sprintf("host %s: its instances [%s] are not ports, but %s uses {port}: list ports (instances: [8081, 8082]) or use {count: N, first_port: P}",
			short(h.Name), clip(strings.Join(h.Instances, ", ")), fieldPath(e.portUse))
		path := at("fleet", "inventory")
		if inline {
			path = hostInstancesPath(s.Hosts.node, h.Name)
		} else if h.Source != "" {
			msg += " (the host is defined at " + h.Source + ")"
		}
		e.add(path, "%s", msg)
	}
}

// hostInstancesPath is the path of the instances a host named name gets in
// hosts: (its own instances:, or defaults.instances), for the error's
// position; hosts[i] when neither is found.
func hostInstancesPath(hosts ast.Node, name string) []any {
	base := at("hosts")
	list := unwrap(hosts)
	if m, ok := list.(*ast.MappingNode); ok {
		list = nil
		for _, kv := range m.Values {
			if k, _ := scalarText(kv.Key); k == "hosts" {
				base, list = at("hosts", "hosts"), unwrap(kv.Value)
			}
		}
	}
	seq, ok := list.(*ast.SequenceNode)
	if !ok {
		return base
	}
	for i, item := range seq.Values {
		if lookup(item, at("name")) == nil {
			continue
		}
		if n, _ := scalarText(lookup(item, at("name"))); n != name {
			continue
		}
		if lookup(item, at("instances")) != nil {
			return append(base, i, "instances")
		}
		if d := lookup(hosts, at("defaults")); len(base) == 2 && d != nil && lookup(d, at("instances")) != nil {
			return at("hosts", "defaults", "instances")
		}
		return append(base, i)
	}
	return base
}
