//go:build integration

package fleetresume

import (
	"bufio"
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

// The package's allocation (see planFleet in internal/e2etest/fleetplan.go).
const (
	prefix = "fres"
	subnet = 15
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

// hostExec runs argv on h, failing the test on an error.
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

// helloScript is a release's hello: the real hello binary as version; with
// failOn, it fails at start on a host that has that file.
func helloScript(version, failOn string) string {
	s := "#!/bin/sh\n"
	if failOn != "" {
		s += fmt.Sprintf("[ -e %s ] && exec %s/hello --version %s --fail-at-start \"$@\"\n", failOn, e2etest.BinDir, version)
	}
	return s + fmt.Sprintf("exec %s/hello --version %s \"$@\"\n", e2etest.BinDir, version)
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
		dir := "/srv/fres/" + name
		if err := c.WriteFile(dir+"/service.yaml", []byte(yaml), 0o644); err != nil {
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
	// The controller's file: the same service, and the fleet.
	var hosts strings.Builder
	for _, h := range f.Hosts() {
		fmt.Fprintf(&hosts, "  - {name: %s, address: %s}\n", h.Name(), h.Addr())
	}
	ctl := yaml + "hosts:\n" + hosts.String() + "fleet:\n  hosts: {batch: 1}\n"
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

// status is `sysroll status NAME --json` on h.
func (s *service) status(h *e2etest.Host) schema.Status {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, _ := h.Exec(ctx, e2etest.BinDir+"/sysroll", "status", s.name, "--json")
	var st schema.Status
	if err := json.Unmarshal(out, &st); err != nil {
		s.t.Fatalf("%s: status %s: %v: %s", h.Name(), s.name, err, out)
	}
	return st
}

// releases is "release:health" of every instance on h, in order.
func (s *service) releases(h *e2etest.Host) string {
	st := s.status(h)
	var out []string
	for _, in := range st.Instances {
		out = append(out, in.Release+":"+in.Health)
	}
	return strings.Join(out, " ")
}

// want is releases' answer when every instance is healthy on version.
func (s *service) want(version string) string {
	out := make([]string, len(s.ports))
	for i := range s.ports {
		out[i] = version + ":healthy"
	}
	return strings.Join(out, " ")
}

// line is one --json line of the controller.
type line struct {
	Type    string    `json:"type"`
	Host    string    `json:"host"`
	Time    time.Time `json:"time"`
	Batch   int       `json:"batch"`
	Message string    `json:"message"`
	Result  string    `json:"result"`
	Seq     int       `json:"seq"`
	// fleet-summary
	FleetID string `json:"fleet_id"`
	Journal string `json:"journal"`
	Hosts   []struct {
		Host   string `json:"host"`
		Result string `json:"result"`
		Sent   int64  `json:"sent_bytes"`
		Detail string `json:"detail"`
	} `json:"hosts"`
}

func parse(t *testing.T, out string) (lines []line, summary line) {
	t.Helper()
	for l := range strings.Lines(out) {
		var x line
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			t.Fatalf("not a JSON line (%v): %q", err, l)
		}
		if x.Type == "fleet-summary" {
			summary = x
		}
		lines = append(lines, x)
	}
	if summary.Type == "" {
		t.Fatalf("no fleet-summary line in:\n%s", out)
	}
	return lines, summary
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
		res := result{stdout: out.String(), stderr: errOut.String(), took: time.Since(start)}
		if ee, ok := err.(*exec.ExitError); ok {
			res.code = ee.ExitCode()
		} else if err != nil {
			res.code = -1
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
