//go:build integration

package fleetlb

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// The package's allocation (see planFleet in internal/e2etest/fleetplan.go);
// instance, agent and frontend ports are in 25400-25499.
const (
	prefix = "flb"
	subnet = 15
)

func TestMain(m *testing.M) {
	e2etest.FleetMain(m, prefix, 3, e2etest.FleetOptions{Subnet: subnet})
}

// agentInter is the agent-inter (and check inter) of every server line;
// the service's up_wait covers rise 2 × inter with room.
const agentInter = 300 * time.Millisecond

// service is a hello service with rollout.haproxy_agent, applied at v1 on
// the given hosts, instances listening on every address (HAProxy reaches
// them over the bridge).
type service struct {
	t     *testing.T
	f     *e2etest.Fleet
	name  string
	ports []int
	agent int // the agent-check port on every host
	// rollout is the service file's rollout drainer; default the
	// haproxy_agent on port agent.
	rollout string
	hosts   []*e2etest.Host
	local   string // the controller's scratch directory
}

func (s *service) yaml() string {
	ps := make([]string, len(s.ports))
	for i, p := range s.ports {
		ps[i] = fmt.Sprint(p)
	}
	return fmt.Sprintf(`name: %s
command: "{release}/hello --listen 0.0.0.0:{port}"
instances: [%s]
restart_sec: 1s
stop_timeout: 10s
health:
  http: {url: "http://127.0.0.1:{port}/healthz"}
  interval: 200ms
  timeout: 200ms
  healthy_for: 1s
  deadline: 10s
rollout:
  batch: 1
  drain_timeout: 10s
  %s
`, s.name, strings.Join(ps, ", "), s.drainer())
}

func (s *service) drainer() string {
	if s.rollout != "" {
		return s.rollout
	}
	return fmt.Sprintf(`haproxy_agent: {listen: "0.0.0.0:%d", inter: %s, up_wait: 1s}`, s.agent, agentInter)
}

func newService(t *testing.T, name string, agent int, hosts []*e2etest.Host, ports ...int) *service {
	t.Helper()
	return newServiceWith(t, name, agent, "", hosts, ports...)
}

// newServiceWith is newService with another rollout drainer line.
func newServiceWith(t *testing.T, name string, agent int, rollout string, hosts []*e2etest.Host, ports ...int) *service {
	t.Helper()
	f := e2etest.SharedFleet(t)
	s := &service{t: t, f: f, name: name, ports: ports, agent: agent, rollout: rollout, hosts: hosts, local: t.TempDir()}
	for _, h := range hosts {
		c := h.Container()
		dir := "/srv/flb/" + name
		if err := c.WriteFile(dir+"/service.yaml", []byte(s.yaml()), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := c.WriteFile(dir+"/v1/hello", []byte(e2etest.HelloScript("v1", "")), 0o755); err != nil {
			t.Fatal(err)
		}
		h.MustExec(t, e2etest.BinDir+"/sysroll", "apply", dir+"/service.yaml", "--artifact", dir+"/v1", "--version", "v1")
		h.UninstallAtEnd(t, name)
	}
	ctl := e2etest.WithHosts(s.yaml(), hosts, "{batch: 1}")
	if err := os.WriteFile(s.file(), []byte(ctl), 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *service) file() string { return filepath.Join(s.local, "service.yaml") }

// release writes a release directory on the controller.
func (s *service) release(version, failOn string) string {
	return e2etest.WriteHelloRelease(s.t, s.local, version, failOn)
}

// result is one controller run.
type result = e2etest.ControllerRun

// controller runs the built sysroll on the machine with args.
func (s *service) controller(args ...string) result { return s.f.RunController(s.t, args...) }

// releases is "release:health" of every instance on h, in order.
func (s *service) releases(h *e2etest.Host) string { return h.Releases(s.t, s.name) }

// want is releases' answer when every instance is healthy on version.
func (s *service) want(version string) string { return e2etest.AllOn(version, len(s.ports)) }
