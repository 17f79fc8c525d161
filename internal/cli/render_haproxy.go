package cli

import (
	"strings"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/drain"
)

// printHAProxyBackend is `render FILE --haproxy-servers HOSTS`: the
// backend an operator pastes into haproxy.cfg for rollout.haproxy_agent.
func printHAProxyBackend(g *globals, svc *config.Service, hosts []string) error {
	a := svc.Rollout.HAProxyAgent
	if a == nil {
		return usagef("--haproxy-servers: %s has no rollout.haproxy_agent (add one: docs/haproxy-fleet.md)", svc.Name)
	}
	if len(hosts) == 0 {
		return usagef("--haproxy-servers needs the app hosts: ADDR or NAME=ADDR, comma-separated")
	}
	port, _ := config.AgentPort(a.Listen) // validated
	b := drain.AgentBackend{
		Service: svc.Name, Instances: svc.InstanceNames(), Port: svc.Port,
		AgentPort: port, Inter: a.Inter, Health: healthPath(svc),
	}
	for _, h := range hosts {
		name, addr, ok := strings.Cut(h, "=")
		if !ok {
			name, addr = h, h
		}
		if name == "" || addr == "" || strings.ContainsAny(h, " \t\n\"") {
			return usagef("--haproxy-servers %q: want ADDR or NAME=ADDR", h)
		}
		b.Hosts = append(b.Hosts, drain.AgentHost{Name: name, Addr: addr})
	}
	if err := b.WriteBackend(g.stdout); err != nil {
		return asUsage(err)
	}
	return nil
}

// healthPath is the path of the http health check's URL ("" without one):
// HAProxy's own check asks the same.
func healthPath(svc *config.Service) string {
	if svc.Health.HTTP == nil {
		return ""
	}
	u := svc.Health.HTTP.URL
	if _, rest, ok := strings.Cut(u, "://"); ok {
		u = rest
	}
	if i := strings.IndexByte(u, '/'); i >= 0 {
		return u[i:]
	}
	return "/"
}
