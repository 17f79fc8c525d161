package config

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"unicode"
)

func (s *Service) validateRollout(e *errs) {
	r := s.Rollout
	checkStep(e, at("rollout", "batch"), r.Batch)
	for i, st := range r.Ramp {
		checkStep(e, at("rollout", "ramp", i), st)
	}
	s.validateSteps(e)
	if why := oneOf(string(r.FailureAction), string(ActionRollback), string(ActionRollbackAll), string(ActionHalt)); why != "" {
		e.add(at("rollout", "failure_action"), "%s", why)
	}
	n := len(s.InstanceNames())
	switch {
	case r.FailureBudget < 0:
		e.add(at("rollout", "failure_budget"), "%d must not be negative", r.FailureBudget)
	case n > 0 && r.FailureBudget >= n:
		e.add(at("rollout", "failure_budget"), "%d would tolerate every one of the %d instances failing", r.FailureBudget, n)
	}
	checkDuration(e, "rollout.progress_deadline", r.ProgressDeadline)
	if r.ProgressDeadline > 0 && r.ProgressDeadline < s.Health.Deadline {
		e.add(at("rollout", "progress_deadline"), "%v is shorter than health.deadline (%v): not even one instance could finish", r.ProgressDeadline, s.Health.Deadline)
	}
	checkDuration(e, "rollout.drain_timeout", r.DrainTimeout)
	if a := r.HAProxyAgent; a != nil {
		s.validateAgent(e, a)
	}
	if h := r.HAProxy; h != nil {
		if why := haproxySocketProblem(h.Socket); why != "" {
			e.add(at("rollout", "haproxy", "socket"), "%q %s", h.Socket, why)
		}
		if !lbNameRe.MatchString(h.Backend) {
			e.add(at("rollout", "haproxy", "backend"), "%s: use letters, digits and _.:- (at most 64)%s", short(h.Backend), lengthNote(h.Backend, 64))
		}
		for _, p := range placeholders(h.Server) {
			if p != PlaceholderInstance && p != PlaceholderPort {
				e.add(at("rollout", "haproxy", "server"), "only {instance} and {port} can be used here, not {%s}", p)
			}
		}
		s.checkTemplate(e, at("rollout", "haproxy", "server"), h.Server, false)
		if server := s.Expand(h.Server, "", s.sampleInstance()); !lbNameRe.MatchString(server) {
			e.add(at("rollout", "haproxy", "server"), "%s: use letters, digits, _.:- and {instance} (at most 64 once filled in)%s", short(h.Server), lengthNote(server, 64))
		}
	}
}

func checkStep(e *errs, path []any, st Step) {
	switch {
	case st.Percent < 0 || st.Percent > 100:
		e.add(path, "%d%% must be between 1%% and 100%%", st.Percent)
	case st.Percent == 0 && (st.N < 1 || st.N > MaxInstances):
		e.add(path, "batch size %d must be between 1 and %d", st.N, MaxInstances)
	}
}

func (s *Service) validateMisc(e *errs) {
	for _, h := range []struct{ name, cmd string }{{"pre_stop", s.Hooks.PreStop}, {"post_start", s.Hooks.PostStart}} {
		if strings.ContainsRune(h.cmd, 0) {
			e.add(at("hooks", h.name), "contains a NUL byte")
		}
		s.checkTemplate(e, at("hooks", h.name), h.cmd, true)
	}
	if s.ReleasesKeep < 2 {
		e.add(at("releases_keep"), "%d: keep at least 2 releases, so there is one to roll back to", s.ReleasesKeep)
	} else {
		checkInt(e, "releases_keep", s.ReleasesKeep)
	}
	checkDuration(e, "stop_timeout", s.StopTimeout)
	checkDuration(e, "restart_sec", s.RestartDelay)
}

func (s *Service) validateHardening(e *errs) {
	h := s.Hardening
	hp := func(k string) []any { return at("hardening", k) }
	if why := oneOf(string(h.ProtectSystem), "strict", "full", "yes", "no"); why != "" {
		e.add(hp("protect_system"), "%s", why)
	}
	if why := oneOf(string(h.ProtectHome), "yes", "read-only", "tmpfs", "no"); why != "" {
		e.add(hp("protect_home"), "%s", why)
	}
	if why := oneOf(h.ProtectProc, "invisible", "noaccess", "ptraceable", "default"); why != "" {
		e.add(hp("protect_proc"), "%s", why)
	}
	if why := oneOf(h.ProcSubset, "pid", "all"); why != "" {
		e.add(hp("proc_subset"), "%s", why)
	}
	for i, c := range h.Capabilities {
		if !capRe.MatchString(c) {
			e.add(at("hardening", "capabilities", i), "%q is not a capability name like CAP_NET_BIND_SERVICE", c)
		}
	}
	for i, af := range h.AddressFamilies {
		if !afRe.MatchString(af) {
			e.add(at("hardening", "address_families", i), "%q is not an address family like AF_INET", af)
		}
	}
	if s.Type == TypeNotify && !slices.Contains(h.AddressFamilies, "AF_UNIX") {
		e.add(hp("address_families"), "type notify needs AF_UNIX to send READY=1 to systemd")
	}
	if len(h.IPAddressAllow) > 0 && !slices.Contains(h.IPAddressAllow, "localhost") && !slices.Contains(h.IPAddressAllow, "any") {
		e.add(hp("ip_address_allow"), "include localhost: sysroll's health probes connect over loopback")
	}
	for i, ip := range h.IPAddressAllow {
		if why := ipAllowProblem(ip); why != "" {
			e.add(at("hardening", "ip_address_allow", i), "%q %s", ip, why)
		}
	}
	for i, sc := range h.SystemCallAllow {
		if !syscallRe.MatchString(sc) {
			e.add(at("hardening", "system_call_allow", i), "%q is not a system call or @group name", sc)
		}
	}
	if len(h.SystemCallAllow) > 0 && !h.SystemCallFilter {
		e.add(hp("system_call_allow"), "has no effect with system_call_filter: false")
	}
	if !umaskRe.MatchString(h.UMask) {
		e.add(hp("umask"), "%q is not an octal umask like 0077", h.UMask)
	}
	if h.PrivateNetwork && s.Listen == "" && (s.Health.HTTP != nil || s.Health.TCP != nil) {
		e.add(hp("private_network"), "%s", fmt.Sprintf("with no listen: socket, a private network makes the instances unreachable to the %s probe", probeKind(s.Health)))
	}
}

func probeKind(h Health) string {
	if h.HTTP != nil {
		return "http"
	}
	return "tcp"
}

// haproxySocketProblem checks rollout.haproxy.socket: an absolute unix
// socket path or host:port of a TCP admin socket, with HAProxy's own
// "unix@", "ipv4@" and "ipv6@" prefixes, as the drain package accepts.
func haproxySocketProblem(s string) string {
	if rest, ok := strings.CutPrefix(s, "unix@"); ok {
		return pathProblem(rest)
	}
	if strings.HasPrefix(s, "/") {
		return pathProblem(s)
	}
	rest, ok := strings.CutPrefix(s, "ipv4@")
	if !ok {
		rest, ok = strings.CutPrefix(s, "ipv6@")
	}
	host, port, err := net.SplitHostPort(rest)
	switch {
	case err != nil || host == "":
		if !ok && !strings.Contains(s, ":") {
			return pathProblem(s)
		}
		return "is neither an absolute unix socket path nor host:port"
	case hasControl(s) || strings.ContainsFunc(s, unicode.IsSpace):
		return "contains a space or control character"
	}
	if _, ok := parsePort(port); !ok {
		return fmt.Sprintf("%q is not a port", port)
	}
	return ""
}

// validateAgent checks rollout.haproxy_agent: a TCP address systemd can
// listen on that no instance uses, and balancer addresses that are IPs.
func (s *Service) validateAgent(e *errs, a *HAProxyAgent) {
	checkDuration(e, "rollout.haproxy_agent.inter", a.Inter)
	checkDuration(e, "rollout.haproxy_agent.up_wait", a.UpWait)
	// Drain waits up to 3 × inter for HAProxy to ask; a drain_timeout
	// running out first would read to the engine as "drained, stragglers
	// left" and the instance would stop while HAProxy still sends to it.
	if ack := 3 * a.Inter; a.Inter > 0 && s.Rollout.DrainTimeout > 0 && s.Rollout.DrainTimeout <= ack {
		e.add(at("rollout", "drain_timeout"), "%v must be longer than 3 × rollout.haproxy_agent.inter (%v): HAProxy must be seen to ask before the drain can wait for connections", s.Rollout.DrainTimeout, ack)
	}
	switch {
	case a.Listen == "":
		e.add(at("rollout", "haproxy_agent", "listen"), "is required: the ip:port HAProxy's agent-check connects to (agent-addr, agent-port), e.g. 0.0.0.0:9700")
	case strings.HasPrefix(a.Listen, "/"):
		e.add(at("rollout", "haproxy_agent", "listen"), "%q: HAProxy's agent-check speaks TCP; give ip:port, e.g. 0.0.0.0:9700", a.Listen)
	default:
		if why := listenProblem(a.Listen); why != "" {
			e.add(at("rollout", "haproxy_agent", "listen"), "%q %s", a.Listen, why)
		} else if p, ok := AgentPort(a.Listen); ok {
			if slices.Contains(s.instancePorts(), p) {
				e.add(at("rollout", "haproxy_agent", "listen"), "port %d is an instance's port; pick a port of its own for the agent", p)
			}
		}
	}
	for i, f := range a.From {
		if _, err := netip.ParseAddr(f); err != nil {
			e.add(at("rollout", "haproxy_agent", "from", i), "%s is not an IP address (the load balancer's address its connections come from)", short(f))
		}
	}
}

// AgentPort is the port of rollout.haproxy_agent.listen ("ip:port" or "port").
func AgentPort(listen string) (int, bool) {
	if p, ok := parsePort(listen); ok {
		return p, true
	}
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		return 0, false
	}
	return parsePort(port)
}

// instancePorts lists the instances' ports, where they have one.
func (s *Service) instancePorts() []int {
	var ps []int
	for _, inst := range s.InstanceNames() {
		if p, ok := s.Port(inst); ok {
			ps = append(ps, p)
		}
	}
	return ps
}
