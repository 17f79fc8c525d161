package config

import (
	"slices"
	"strconv"
)

// privilegedPortLimit is the first port an unprivileged process may bind
// (net.ipv4.ip_unprivileged_port_start defaults to 1024).
const privilegedPortLimit = 1024

// warnPrivilegedPorts warns of port instances below 1024 that the instances
// would bind themselves (no listen:) but cannot: sysroll never runs them as
// root, and CAP_NET_BIND_SERVICE only counts with private_users: false,
// since under PrivateUsers= the capability belongs to the instance's own
// user namespace, not to the host's network (measured on systemd 252:
// EACCES with the capability and PrivateUsers=yes, bound with it and
// PrivateUsers=no). A listen: socket is bound by systemd as root and works
// at any port, so it is the fix to suggest first.
//
// A warning, not an error: a host may lower
// net.ipv4.ip_unprivileged_port_start (container hosts often set 0), and
// an instance named 80 need not bind port 80 at all.
func (s *Service) warnPrivilegedPorts(e *errs) {
	if s.Listen != "" || !s.PortInstances() {
		return
	}
	hasCap := slices.Contains(s.Hardening.Capabilities, "CAP_NET_BIND_SERVICE")
	if hasCap && !s.Hardening.PrivateUsers {
		return
	}
	for i, name := range s.InstanceNames() {
		port, _ := parsePort(name)
		if port >= privilegedPortLimit {
			continue
		}
		path := at("instances", i)
		if s.Instances.Count != 0 {
			path = at("instances", "first_port")
		}
		fix := "add CAP_NET_BIND_SERVICE to hardening.capabilities and set hardening.private_users: false"
		if hasCap {
			fix = "set hardening.private_users: false (under a private user namespace CAP_NET_BIND_SERVICE does not reach the host's network)"
		}
		e.add(path, "port %s is below %d: an instance that binds it itself cannot, as a non-root user: use listen: %s (systemd binds the socket as root and passes it), or %s",
			strconv.Itoa(port), privilegedPortLimit, strconv.Itoa(port), fix)
		return // one message is enough: the fix is the same for every port
	}
}
