//go:build integration

package testbed

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const helperEnv = "SYSROLL_TESTBED_HELPER"

// TestTeardownHelper is not a test of its own: TestTeardown runs this test
// binary again with only it, and it reports the shared container's init PID
// and waits to be signalled.
func TestTeardownHelper(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		return
	}
	c := Shared(t)
	fmt.Printf("INIT %d %s %s\n", c.InitPID(), filepath.Dir(c.LogPath()), strings.Join(c.cgroups, ","))
	time.Sleep(2 * time.Minute)
}

// A test process that is interrupted, terminated or killed does not leave
// its container behind: Main halts it on SIGINT/SIGTERM, and on SIGKILL the
// parent-death signal makes systemd-nspawn halt it.
func TestTeardown(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestTeardownHelper$")
			cmd.Env = append(os.Environ(), helperEnv+"=1")
			cmd.Stderr = os.Stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			init, logDir, cgroups := 0, "", []string(nil)
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if f, ok := strings.CutPrefix(sc.Text(), "INIT "); ok {
					if f := strings.Fields(f); len(f) == 3 {
						init, _ = strconv.Atoi(f[0])
						logDir, cgroups = f[1], strings.Split(f[2], ",")
					}
					break
				}
			}
			if init == 0 {
				t.Fatalf("helper did not report its container (scan: %v)", sc.Err())
			}
			go sc.Scan() // drain
			// A killed helper cannot remove its log and cgroups.
			defer os.RemoveAll(logDir)
			defer removeCgroups(cgroups)

			var nspawn []int // the helper's systemd-nspawn
			for _, pid := range children(cmd.Process.Pid) {
				if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); strings.TrimSpace(string(comm)) == "systemd-nspawn" {
					nspawn = append(nspawn, pid)
				}
			}
			if len(nspawn) != 1 {
				t.Fatalf("helper runs %d systemd-nspawn, want 1", len(nspawn))
			}

			start := time.Now()
			cmd.Process.Signal(sig)
			err = cmd.Wait()
			t.Logf("helper exited after %s: %v", time.Since(start), err)
			gone := func(pid int) bool {
				_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
				return err != nil
			}
			for !gone(init) {
				if time.Since(start) > 20*time.Second {
					syscall.Kill(init, syscall.SIGKILL)
					t.Fatalf("container init %d still running 20s after %s to the test process", init, sig)
				}
				time.Sleep(50 * time.Millisecond)
			}
			t.Logf("container init %d gone after %s", init, time.Since(start))
			// When the helper was killed, its nspawn went to the host's init
			// to be reaped; wait for that too, so that no "systemd-nspawn"
			// shows in the process list after the tests.
			for !gone(nspawn[0]) && time.Since(start) < 30*time.Second {
				time.Sleep(50 * time.Millisecond)
			}
			t.Logf("systemd-nspawn %d gone after %s", nspawn[0], time.Since(start))
		})
	}
}
