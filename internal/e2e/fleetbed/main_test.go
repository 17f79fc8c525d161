//go:build integration

package fleetbed

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// The child fleet, started by FleetMain in a child process of this test
// binary, has an allocation of its own (see planFleet).
const (
	childPrefix = "fbsh"
	childSubnet = 11
	// childEnv makes TestMain start the shared fleet; its value is the
	// child's mode: "run" or "wait" (block until a signal ends it).
	childEnv = "SYSROLL_FLEETBED_CHILD"
	// childReady is what the child prints once its fleet answers ssh.
	childReady = "FLEETBED-CHILD-READY"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		e2etest.FleetMain(m, childPrefix, 1, e2etest.FleetOptions{Subnet: childSubnet})
	}
	os.Exit(m.Run())
}

// child is TestFleetMain in the child process: the fleet FleetMain started
// answers ssh. (Not a test of its own: in the parent it could only skip.)
func child(t *testing.T, mode string) {
	f := e2etest.SharedFleet(t)
	h := f.Host("h1")
	r := ssh(t, f.SSHConfigPath(), "h1", hostname)
	if r.err != nil || r.out != h.Container().Name() {
		t.Fatalf("ssh h1: %v, %q\n%s", r.err, r.out, r.stderr)
	}
	os.Stdout.WriteString(childReady + "\n")
	if mode == "wait" {
		time.Sleep(time.Minute) // until the parent's SIGINT
		t.Error("no signal came")
	}
}

// FleetMain runs the tests against a fleet it started and removes
// everything after them, and also when SIGINT ends the process halfway
// (exit 130).
func TestFleetMain(t *testing.T) {
	if mode := os.Getenv(childEnv); mode != "" {
		child(t, mode)
		return
	}
	for _, c := range []struct {
		name     string
		mode     string
		sig      syscall.Signal // sent once the child is ready; 0: none
		wantCode int
	}{
		{"tests run, then teardown", "run", 0, 0},
		{"SIGINT mid-test", "wait", syscall.SIGINT, 130},
		{"SIGTERM mid-test", "wait", syscall.SIGTERM, 130},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestFleetMain$", "-test.count=1")
			cmd.Env = append(os.Environ(), childEnv+"="+c.mode)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			ready := false
			var out strings.Builder
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				out.WriteString(sc.Text() + "\n")
				if sc.Text() == childReady {
					ready = true
					if c.sig != 0 {
						cmd.Process.Signal(c.sig)
					}
				}
			}
			err = cmd.Wait()
			if !ready {
				t.Errorf("the child never got its fleet to answer:\n%s%s", out.String(), stderr.String())
			}
			if code := exitCode(err); code != c.wantCode {
				t.Errorf("child exit %d (%v), want %d:\n%s%s", code, err, c.wantCode, out.String(), stderr.String())
			}
			for _, l := range leftovers(t, childPrefix) {
				t.Errorf("after the child: %s remains", l)
			}
		})
	}
}
