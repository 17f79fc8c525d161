//go:build integration

package fleetctl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/schema"
)

// The package's allocation (see planFleet in internal/e2etest/fleetplan.go).
const (
	prefix = "fctl"
	subnet = 13
)

func TestMain(m *testing.M) {
	e2etest.FleetMain(m, prefix, 3, e2etest.FleetOptions{Subnet: subnet})
}

// service is a hello service applied on every host of the fleet at v1.
type service struct {
	t     *testing.T
	f     *e2etest.Fleet
	name  string
	ports []int
	local string // the controller's scratch directory
}

func newService(t *testing.T, name string, ports ...int) *service {
	t.Helper()
	return newServiceFor(t, name, time.Second, ports...)
}

// newServiceFor is newService with the health gate's healthy_for: how
// long each instance's step lasts, at least.
func newServiceFor(t *testing.T, name string, healthyFor time.Duration, ports ...int) *service {
	t.Helper()
	f := e2etest.SharedFleet(t)
	s := &service{t: t, f: f, name: name, ports: ports, local: t.TempDir()}
	yaml := e2etest.HelloYAML(name, ports, healthyFor, "")
	for _, h := range f.Hosts() {
		c := h.Container()
		dir := "/srv/fctl/" + name
		if err := c.WriteFile(dir+"/service.yaml", []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := c.WriteFile(dir+"/v1/hello", []byte(e2etest.HelloScript("v1", "")), 0o755); err != nil {
			t.Fatal(err)
		}
		h.MustExec(t, e2etest.BinDir+"/sysroll", "apply", dir+"/service.yaml", "--artifact", dir+"/v1", "--version", "v1")
		h.UninstallAtEnd(t, name)
	}
	// The controller's file: the same service, and the fleet.
	ctl := e2etest.WithHosts(yaml, f.Hosts(), "{batch: 1}")
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

// status is `sysroll status NAME --json` on h.
func (s *service) status(h *e2etest.Host) schema.Status { return h.Status(s.t, s.name) }

// releases is "release:health" of every instance on h, in order.
func (s *service) releases(h *e2etest.Host) string { return h.Releases(s.t, s.name) }

// want is releases' answer when every instance is healthy on version.
func (s *service) want(version string) string { return e2etest.AllOn(version, len(s.ports)) }

// line is one --json line of the controller.
type line = e2etest.ControllerLine

// parse is the controller's --json lines and its summary.
func parse(t *testing.T, out string) (lines []line, summary line) {
	return e2etest.ParseControllerJSON(t, out)
}

// untouched lists what a rollout leaves on h: the service's fleet
// directory and the staged releases, to compare before and after.
func (s *service) footprint(h *e2etest.Host) string {
	return h.MustExec(s.t, "sh", "-c", "ls -A /var/lib/sysroll/"+s.name+" /var/lib/sysroll/"+s.name+"/fleet 2>/dev/null; echo --; ls -A /var/lib/sysroll/.incoming 2>/dev/null; echo --; "+
		e2etest.BinDir+"/sysroll history "+s.name+" --json | grep -c fleet_id || true")
}

// running is a controller started in the background, its --json lines
// handed to a callback as they come.
type running struct {
	cmd  *exec.Cmd
	done chan result
}

// start runs the controller with args, calling onLine with every stdout
// line as it arrives (from another goroutine).
func (s *service) start(onLine func(line), args ...string) *running {
	s.t.Helper()
	cmd := exec.Command(filepath.Join(s.f.Dir(), "bin", "sysroll"), args...)
	cmd.Env = append(os.Environ(), "SSH_AUTH_SOCK=")
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	r := &running{cmd: cmd, done: make(chan result, 1)}
	s.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	go func() {
		var out strings.Builder
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
			var l line
			if json.Unmarshal(sc.Bytes(), &l) == nil && onLine != nil {
				onLine(l)
			}
		}
		err := cmd.Wait()
		res := result{Stdout: out.String(), Stderr: errOut.String(), Took: time.Since(start)}
		if ee, ok := err.(*exec.ExitError); ok {
			res.Code = ee.ExitCode()
		} else if err != nil {
			res.Code = -1
		}
		r.done <- res
	}()
	return r
}

// wait is the controller's end, within 4 minutes.
func (r *running) wait(t *testing.T) result {
	t.Helper()
	select {
	case res := <-r.done:
		return res
	case <-time.After(4 * time.Minute):
		_ = r.cmd.Process.Kill()
		t.Fatal("the controller did not end within 4 minutes")
		return result{}
	}
}

// sshConfigFast is the fleet's ssh_config with keepalives every second, so
// a cut link is noticed in about 2 s rather than 15.
func (s *service) sshConfigFast() string {
	s.t.Helper()
	data, err := os.ReadFile(s.f.SSHConfigPath())
	if err != nil {
		s.t.Fatal(err)
	}
	p := filepath.Join(s.local, "ssh_config_fast")
	data = append([]byte("Host *\n  ServerAliveInterval 1\n  ServerAliveCountMax 2\n  ConnectTimeout 2\n\n"), data...)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		s.t.Fatal(err)
	}
	return p
}
