package drain

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// AgentHost is an app host as HAProxy's server lines name and reach it.
type AgentHost struct {
	Name string // server name prefix, e.g. "h1"
	Addr string // the address HAProxy connects to (IP or host name)
}

// AgentBackend describes the backend HAProxy needs for a service drained
// through the agent-check: what WriteBackend renders.
type AgentBackend struct {
	Service   string
	Instances []string // instance names, each with a port
	Port      func(string) (int, bool)
	AgentPort int           // rollout.haproxy_agent.listen's port
	Inter     time.Duration // agent-inter and check inter
	Health    string        // the httpchk path, "" for a TCP check
	Hosts     []AgentHost
}

// haproxyTime renders d as HAProxy reads times: whole ms (HAProxy's unit).
func haproxyTime(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}

// WriteBackend writes the backend section with one server line per host
// and instance: the operator pastes it into haproxy.cfg
// (`sysroll render FILE --haproxy-servers ...`, docs/haproxy-fleet.md).
// http-server-close keeps no idle connection to a drained server open, so
// the host's wait for the balancer's connections ends when the work does.
func (b AgentBackend) WriteBackend(w io.Writer) error {
	var sb strings.Builder
	inter := haproxyTime(b.Inter)
	fmt.Fprintf(&sb, "backend %s\n    balance roundrobin\n", b.Service)
	if b.Health != "" {
		fmt.Fprintf(&sb, "    option httpchk GET %s\n", b.Health)
	}
	sb.WriteString("    option http-server-close\n")
	for _, h := range b.Hosts {
		for _, inst := range b.Instances {
			p, ok := b.Port(inst)
			if !ok {
				return fmt.Errorf("instance %s has no port: HAProxy's server lines need instances named by their ports", inst)
			}
			fmt.Fprintf(&sb, "    server %s-%d %s:%d check inter %s rise 2 fall 2 agent-check agent-addr %s agent-port %d agent-send \"%s/%s\\n\" agent-inter %s\n",
				h.Name, p, h.Addr, p, inter, h.Addr, b.AgentPort, b.Service, inst, inter)
		}
	}
	_, err := io.WriteString(w, sb.String())
	return err
}
