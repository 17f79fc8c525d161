//go:build integration

package fleetlb

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/schema"
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

func hostExec(t *testing.T, h *e2etest.Host, argv ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := h.Exec(ctx, argv...)
	if err != nil {
		t.Fatalf("%s: %s: %v\n%s", h.Name(), strings.Join(argv, " "), err, out)
	}
	return string(out)
}

// helloScript is a release's hello on every address; with failOn, it
// fails at start on a host that has that file.
func helloScript(version, failOn string) string {
	s := "#!/bin/sh\n"
	if failOn != "" {
		s += fmt.Sprintf("[ -e %s ] && exec %s/hello --version %s --fail-at-start \"$@\"\n", failOn, e2etest.BinDir, version)
	}
	return s + fmt.Sprintf("exec %s/hello --version %s \"$@\"\n", e2etest.BinDir, version)
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
		if err := c.WriteFile(dir+"/v1/hello", []byte(helloScript("v1", "")), 0o755); err != nil {
			t.Fatal(err)
		}
		hostExec(t, h, e2etest.BinDir+"/sysroll", "apply", dir+"/service.yaml", "--artifact", dir+"/v1", "--version", "v1")
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if out, err := h.Exec(ctx, e2etest.BinDir+"/sysroll", "uninstall", name, "--purge"); err != nil {
				t.Logf("%s: uninstall %s: %v\n%s", h.Name(), name, err, out)
			}
		})
	}
	var lines strings.Builder
	for _, h := range hosts {
		fmt.Fprintf(&lines, "  - {name: %s, address: %s}\n", h.Name(), h.Addr())
	}
	ctl := s.yaml() + "hosts:\n" + lines.String() + "fleet:\n  hosts: {batch: 1}\n"
	if err := os.WriteFile(s.file(), []byte(ctl), 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *service) file() string { return filepath.Join(s.local, "service.yaml") }

// release writes a release directory on the controller.
func (s *service) release(version, failOn string) string {
	s.t.Helper()
	dir := filepath.Join(s.local, "releases", version)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hello"), []byte(helloScript(version, failOn)), 0o755); err != nil {
		s.t.Fatal(err)
	}
	return dir
}

// result is one controller run.
type result struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("exit %d after %s\nstdout:\n%s\nstderr:\n%s", r.code, r.took.Round(time.Millisecond), r.stdout, r.stderr)
}

// controller runs the built sysroll on the machine with args.
func (s *service) controller(args ...string) result {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(s.f.Dir(), "bin", "sysroll"), args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Env = append(os.Environ(), "SSH_AUTH_SOCK=")
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errOut.String(), took: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatalf("run the controller: %v", err)
	}
	return r
}

// releases is "release:health" of every instance on h, in order.
func (s *service) releases(h *e2etest.Host) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, _ := h.Exec(ctx, e2etest.BinDir+"/sysroll", "status", s.name, "--json")
	var st schema.Status
	if err := json.Unmarshal(out, &st); err != nil {
		s.t.Fatalf("%s: status %s: %v: %s", h.Name(), s.name, err, out)
	}
	var parts []string
	for _, in := range st.Instances {
		parts = append(parts, in.Release+":"+in.Health)
	}
	return strings.Join(parts, " ")
}

// want is releases' answer when every instance is healthy on version.
func (s *service) want(version string) string {
	out := make([]string, len(s.ports))
	for i := range s.ports {
		out[i] = version + ":healthy"
	}
	return strings.Join(out, " ")
}
