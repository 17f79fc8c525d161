package host

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/drain"
	"github.com/sysroll/sysroll/internal/portcheck"
)

// agentDrainer maps rollout.haproxy_agent onto drain.Agent; stateDir is
// the service's state directory, whose agent/ the responder reads.
func agentDrainer(svc *config.Service, stateDir string) *drain.Agent {
	a := svc.Rollout.HAProxyAgent
	var from []netip.Addr
	for _, f := range a.From {
		if ip, err := netip.ParseAddr(f); err == nil { // validated
			from = append(from, ip.Unmap())
		}
	}
	return &drain.Agent{
		Service: svc.Name,
		Listen:  a.Listen,
		Store:   drain.AgentFiles{Dir: drain.AgentDir(stateDir)},
		Conns:   portcheck.Proc{},
		Port:    svc.Port,
		From:    from,
		Inter:   a.Inter,
		UpWait:  a.UpWait,
		// 0: the executor's drain_timeout is the one bound, as for HAProxy.
		DrainTimeout: 0,
	}
}

// AgentResponder is what `sysroll agent NAME` answers HAProxy with: the
// installed service's instances and its agent files. A service installed
// without rollout.haproxy_agent is bad input.
func (h *Host) AgentResponder(name string) (drain.Responder, error) {
	svc, dir, err := h.loadInstalled(name)
	if err != nil {
		return drain.Responder{}, err
	}
	if svc.Rollout.HAProxyAgent == nil {
		return drain.Responder{}, inputf("service %s has no rollout.haproxy_agent: nothing to answer HAProxy's agent-check with", name)
	}
	instances := svc.InstanceNames()
	return drain.Responder{
		Service: name,
		Known:   func(inst string) bool { return slices.Contains(instances, inst) },
		Files:   drain.AgentFiles{Dir: drain.AgentDir(dir)},
	}, nil
}

// sysrollPath is the binary the agent units run: this one, as an absolute
// path with links resolved (a link may be repointed at another build).
func sysrollPath() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if p, err := filepath.EvalSymlinks(exe); err == nil {
		return p
	}
	return exe
}

// makeAgentDir creates the directory the agent records its answers in
// before its socket starts: its sandbox may write only there, and only if
// it exists when a connection's process starts.
func makeAgentDir(svc *config.Service, stateDir string) error {
	if svc.Rollout.HAProxyAgent == nil {
		return nil
	}
	dir := drain.AgentDir(stateDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create the agent directory %s: %w", dir, err)
	}
	return nil
}
