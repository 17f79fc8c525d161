package adopt

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Order is the order the instances are cut over: an instance whose old
// unit another one Requires= comes after that one. Stopping a unit stops
// every unit that Requires= it (systemd propagates the stop), so the guide's
// my-service-2 (Requires=my-service-1) goes first: when my-service-1's old
// unit stops, nothing depends on it any more. Otherwise by port.
func Order(instances []Instance) ([]Instance, error) {
	left := slices.Clone(instances)
	slices.SortFunc(left, func(a, b Instance) int { return a.Port - b.Port })
	var out []Instance
	for len(left) > 0 {
		i := slices.IndexFunc(left, func(c Instance) bool {
			// c may go now if no instance still waiting requires it.
			return !slices.ContainsFunc(left, func(o Instance) bool { return slices.Contains(o.Requires, c.Unit) })
		})
		if i < 0 {
			var us []string
			for _, c := range left {
				us = append(us, c.Unit)
			}
			return nil, &RefusedError{Problems: []string{fmt.Sprintf("%s require each other (Requires=/BindsTo= in a cycle): stopping any one stops the others; remove the cycle first", strings.Join(us, ", "))}}
		}
		out = append(out, left[i])
		left = slices.Delete(left, i, i+1)
	}
	return out, nil
}

// ServiceFile renders the proposal as a service file, with a comment on
// each setting saying where it came from.
func (p *Proposal) ServiceFile() string {
	var b strings.Builder
	q := func(s string) string { j, _ := json.Marshal(s); return string(j) }
	var from []string
	for _, in := range p.Instances {
		from = append(from, in.Unit)
	}
	fmt.Fprintf(&b, "# proposed by `sysroll adopt` from %s\n", strings.Join(from, ", "))
	fmt.Fprintf(&b, "name: %s\n", p.Name)
	if p.Description != "" {
		fmt.Fprintf(&b, "description: %s\n", q(p.Description))
	}
	for _, n := range p.Notes {
		fmt.Fprintf(&b, "# note: %s\n", n)
	}
	for _, s := range p.Skipped {
		fmt.Fprintf(&b, "# skipped %s: %s\n", s.Path, s.Reason)
	}
	fmt.Fprintf(&b, "# ExecStart= with %s as {release}/%s (the first release) and the port as {port}\n", p.Binary, baseName(p.Binary))
	fmt.Fprintf(&b, "command: %s\n", q(p.Command))
	var ports []string
	for _, in := range p.Instances {
		ports = append(ports, fmt.Sprint(in.Port))
	}
	fmt.Fprintf(&b, "instances: [%s]\n", strings.Join(ports, ", "))
	fmt.Fprintf(&b, "type: %s\n", p.Type)
	if p.StopTimeout > 0 {
		fmt.Fprintf(&b, "stop_timeout: %s # TimeoutStopSec=\n", dur(p.StopTimeout))
	}
	if p.RestartDelaySet {
		fmt.Fprintf(&b, "restart_sec: %s # RestartSec=\n", dur(p.RestartDelay))
	}
	if p.WorkingDirectory != "" {
		fmt.Fprintf(&b, "working_directory: %s\n", q(p.WorkingDirectory))
	}
	if p.User != "" {
		fmt.Fprintf(&b, "user: %s\n", q(p.User))
	}
	if p.Group != "" {
		fmt.Fprintf(&b, "group: %s\n", q(p.Group))
	}
	if len(p.Environment) > 0 {
		b.WriteString("environment:\n")
		keys := make([]string, 0, len(p.Environment))
		for k := range p.Environment {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "  %s: %s\n", k, q(p.Environment[k]))
		}
	}
	if len(p.EnvironmentFiles) > 0 {
		b.WriteString("environment_files:\n")
		for _, f := range p.EnvironmentFiles {
			fmt.Fprintf(&b, "  - %s\n", q(f))
		}
	}
	b.WriteString(`# the old units had no health check: a TCP connect proves an instance
# serves; use http: with its health URL if it has one
health:
  tcp:
    address: "127.0.0.1:{port}"
`)
	fmt.Fprintf(&b, "# behind HAProxy, add this (adopt then drains each instance before its cutover):\n#   rollout:\n#     haproxy: {socket: /run/haproxy/admin.sock, backend: %s}\n", p.Name)
	return b.String()
}

func baseName(p string) string { return p[strings.LastIndexByte(p, '/')+1:] }

// dur renders d as the service file reads it ("2s", "1m30s", "100ms").
func dur(d time.Duration) string { return d.String() }

// MarshalJSON renders the time spans in seconds, as sysroll's other JSON
// does (schema.Plan), not as Go's nanoseconds.
func (p *Proposal) MarshalJSON() ([]byte, error) {
	type plain Proposal
	return json.Marshal(struct {
		*plain
		StopTimeout  float64  `json:"stop_timeout"`
		RestartDelay *float64 `json:"restart_sec,omitempty"`
	}{plain: (*plain)(p), StopTimeout: p.StopTimeout.Seconds(), RestartDelay: secondsIf(p.RestartDelaySet, p.RestartDelay)})
}

func secondsIf(set bool, d time.Duration) *float64 {
	if !set {
		return nil
	}
	s := d.Seconds()
	return &s
}
