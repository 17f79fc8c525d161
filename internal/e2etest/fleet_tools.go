//go:build integration

package e2etest

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

	"github.com/sysroll/sysroll/internal/schema"
)

// What the fleet e2e packages (fleetctl, fleetlb, fleetstatus, fleetverbs)
// all do to a fleet: run the controller, run a command on a host, read a
// host's status, write a hello release. One definition each, here.

// ControllerTimeout bounds one run of the controller in RunController.
const ControllerTimeout = 4 * time.Minute

// ControllerRun is one run of the controller: its exit code, output and duration.
type ControllerRun struct {
	Code           int
	Stdout, Stderr string
	Took           time.Duration
}

func (r ControllerRun) String() string {
	return fmt.Sprintf("exit %d after %s\nstdout:\n%s\nstderr:\n%s", r.Code, r.Took.Round(time.Millisecond), r.Stdout, r.Stderr)
}

// RunController runs the fleet's built sysroll on the machine (the
// controller) with args and no ssh-agent, within ControllerTimeout; a
// failure to run it at all fails tb.
func (f *Fleet) RunController(tb testing.TB, args ...string) ControllerRun {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ControllerTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(f.Dir(), "bin", "sysroll"), args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Env = append(os.Environ(), "SSH_AUTH_SOCK=")
	start := time.Now()
	err := cmd.Run()
	r := ControllerRun{Stdout: out.String(), Stderr: errOut.String(), Took: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.Code = ee.ExitCode()
	} else if err != nil {
		tb.Fatalf("run the controller: %v", err)
	}
	return r
}

// MustExec runs argv on h (60 s at most), failing tb on an error.
func (h *Host) MustExec(tb testing.TB, argv ...string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := h.Exec(ctx, argv...)
	if err != nil {
		tb.Fatalf("%s: %s: %v\n%s", h.Name(), strings.Join(argv, " "), err, out)
	}
	return string(out)
}

// Status is `sysroll status NAME --json` on h, read with the host's own
// sysroll (not through the fleet verb under test).
func (h *Host) Status(tb testing.TB, name string) schema.Status {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, _ := h.Exec(ctx, BinDir+"/sysroll", "status", name, "--json")
	var st schema.Status
	if err := json.Unmarshal(out, &st); err != nil {
		tb.Fatalf("%s: status %s: %v: %s", h.Name(), name, err, out)
	}
	return st
}

// Releases is "release:health" of every instance of name on h, in order.
func (h *Host) Releases(tb testing.TB, name string) string {
	tb.Helper()
	var out []string
	for _, in := range h.Status(tb, name).Instances {
		out = append(out, in.Release+":"+in.Health)
	}
	return strings.Join(out, " ")
}

// AllOn is Releases' answer for n instances all healthy on version.
func AllOn(version string, n int) string {
	out := make([]string, n)
	for i := range out {
		out[i] = version + ":healthy"
	}
	return strings.Join(out, " ")
}

// HelloScript is a release's hello: the real hello binary as version;
// with failOn, it fails at start on a host that has that file (a release
// that fails on one host only).
func HelloScript(version, failOn string) string {
	s := "#!/bin/sh\n"
	if failOn != "" {
		s += fmt.Sprintf("[ -e %s ] && exec %s/hello --version %s --fail-at-start \"$@\"\n", failOn, BinDir, version)
	}
	return s + fmt.Sprintf("exec %s/hello --version %s \"$@\"\n", BinDir, version)
}

// WriteHelloRelease writes release version (HelloScript) as dir/releases/
// version/hello on the machine and returns that directory, for --artifact.
func WriteHelloRelease(tb testing.TB, dir, version, failOn string) string {
	tb.Helper()
	d := filepath.Join(dir, "releases", version)
	if err := os.MkdirAll(d, 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "hello"), []byte(HelloScript(version, failOn)), 0o755); err != nil {
		tb.Fatal(err)
	}
	return d
}

// UninstallAtEnd uninstalls service name (--purge) from h when tb ends,
// logging rather than failing when there is nothing left to remove.
func (h *Host) UninstallAtEnd(tb testing.TB, name string) {
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if out, err := h.Exec(ctx, BinDir+"/sysroll", "uninstall", name, "--purge"); err != nil {
			tb.Logf("%s: uninstall %s: %v\n%s", h.Name(), name, err, out)
		}
	})
}

// WithHosts is the controller's service file: yaml, then hosts: with
// each host's name and address, then fleet.hosts (e.g. "{batch: 1}").
func WithHosts(yaml string, hosts []*Host, fleetHosts string) string {
	var b strings.Builder
	b.WriteString(yaml + "hosts:\n")
	for _, h := range hosts {
		fmt.Fprintf(&b, "  - {name: %s, address: %s}\n", h.Name(), h.Addr())
	}
	return b.String() + "fleet:\n  hosts: " + fleetHosts + "\n"
}

// ControllerLine is one --json line of the controller: a host's event
// (Host set), a fleet-note, or the fleet-summary.
type ControllerLine struct {
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

// ParseControllerJSON is the controller's --json output, line by line,
// and its fleet-summary; a line that is not JSON, or no summary, fails tb.
func ParseControllerJSON(tb testing.TB, out string) (lines []ControllerLine, summary ControllerLine) {
	tb.Helper()
	for l := range strings.Lines(out) {
		var x ControllerLine
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			tb.Fatalf("not a JSON line (%v): %q", err, l)
		}
		if x.Type == "fleet-summary" {
			summary = x
		}
		lines = append(lines, x)
	}
	if summary.Type == "" {
		tb.Fatalf("no fleet-summary line in:\n%s", out)
	}
	return lines, summary
}
