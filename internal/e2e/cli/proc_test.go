//go:build integration

package cli

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// workRoot holds the service files, releases and PID files of the tests.
const workRoot = "/srv/e2e-cli"

// serviceYAML is the hello example on ports, with extra top-level YAML.
func serviceYAML(name string, ports []int, extra string) string {
	ps := make([]string, len(ports))
	for i, p := range ports {
		ps[i] = strconv.Itoa(p)
	}
	return fmt.Sprintf(`name: %s
command: "{release}/hello --port {port}"
instances: [%s]
health:
  http: {url: "http://127.0.0.1:{port}/healthz", status: 200, body: ok}
  interval: 200ms
  timeout: 200ms
  healthy_for: 500ms
  deadline: 30s
%s`, name, strings.Join(ps, ", "), extra)
}

// install applies the service on release v1 (uninstalled with --purge at
// cleanup) and returns a v2 release for it.
func install(t *testing.T, name string, ports []int, extra string) string {
	t.Helper()
	dir := path.Join(workRoot, name)
	v1 := e2etest.HelloRelease(t, path.Join(dir, "v1"), "v1")
	e2etest.InstallService(t, name, path.Join(dir, "service.yaml"), serviceYAML(name, ports, extra), v1, "v1")
	return e2etest.HelloRelease(t, path.Join(dir, "v2"), "v2")
}

// childPID reads the PID a command under test wrote to file in the
// container, waiting for it to appear.
func childPID(t *testing.T, file string) int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := e2etest.Run(t, "cat", file)
		if pid, err := strconv.Atoi(strings.TrimSpace(r.Stdout)); r.Code == 0 && err == nil && pid > 1 {
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never held a PID: %s", file, r)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// wantGone fails unless the process pid of the container has died (gone,
// or a zombie waiting for the container's init to reap it) within a few
// seconds; a survivor is killed so that it cannot outlive the test.
func wantGone(t *testing.T, pid int) {
	t.Helper()
	p := strconv.Itoa(pid)
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := e2etest.Run(t, "sh", "-c", "test -e /proc/"+p+" || exit 0; s=$(sed 's/.*) //' /proc/"+p+"/stat | cut -c1); test \"$s\" = Z")
		if r.Code == 0 {
			return
		}
		if time.Now().After(deadline) {
			e2etest.Run(t, "kill", "-9", p)
			t.Fatalf("process %d started by sysroll still runs (killed it now)", pid)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestDeployCheckInterruptedKillsItsChildren: Ctrl-C during a --check that
// hangs with a background child ends the deploy, and no process of the
// check is left running. Before, only the check itself was killed.
func TestDeployCheckInterruptedKillsItsChildren(t *testing.T) {
	const name = "in-check"
	v2 := install(t, name, []int{23600}, "")
	pidFile := path.Join(workRoot, name, "check-child.pid")
	check := fmt.Sprintf("sh -c 'sleep 300 & echo $! > %s; sleep 300'", pidFile)
	b := e2etest.StartSysroll(t, "deploy", name, "--artifact", v2, "--version", "v2", "--check", check)
	pid := childPID(t, pidFile)
	b.Signal("INT")
	r := b.Wait(30 * time.Second)
	if r.Code == 0 {
		t.Errorf("an interrupted check passed: %s", r)
	}
	wantGone(t, pid)
	if st := e2etest.Status(t, name); st.Releases["v1"] != 1 {
		t.Errorf("releases after the refused deploy: %v", st.Releases)
	}
}

// TestHooksLeaveNothingRunning: a pre_stop hook that backgrounds a child
// (and exits 0) does not leave it running after the restart, and hooks run
// in / whatever directory sysroll was started from.
func TestHooksLeaveNothingRunning(t *testing.T) {
	const name = "in-hooks"
	dir := path.Join(workRoot, name)
	pidFile, pwdFile := path.Join(dir, "hook-child.pid"), path.Join(dir, "hook.pwd")
	hooks := fmt.Sprintf("hooks:\n  pre_stop: \"sleep 300 >/dev/null 2>&1 & echo $! > %s\"\n  post_start: \"pwd > %s\"\n", pidFile, pwdFile)
	install(t, name, []int{23610}, hooks)
	r := e2etest.Run(t, "sh", "-c", "cd "+dir+" && exec "+e2etest.BinDir+"/sysroll restart "+name)
	if r.Code != 0 {
		t.Fatalf("restart: %s", r)
	}
	wantGone(t, childPID(t, pidFile))
	if got := e2etest.Run(t, "cat", pwdFile).Stdout; got != "/\n" {
		t.Errorf("the hook ran in %q, want /", got)
	}
}

// TestProbeRateOutOfRange: on an installed service (so that nothing else
// refuses the rollout first), --probe-rate values that used to run an
// unthrottled loop or panic in the ticker are bad input: exit 2, the flag
// and its range named, no instance restarted.
func TestProbeRateOutOfRange(t *testing.T) {
	const name = "in-rate"
	install(t, name, []int{23620}, "")
	units := []string{name + "@23620.service"}
	before := e2etest.Invocations(t, units)
	for _, v := range []string{"1e-10", "NaN", "5e-324", "0", "-3", "+Inf", "1e9"} {
		r := e2etest.Sysroll(t, "restart", name, "--probe", "http://127.0.0.1:23620/healthz", "--probe-rate", v)
		if r.Code != 2 || !strings.Contains(r.Stderr, "--probe-rate") || !strings.Contains(r.Stderr, "from 0.1 to 1000") {
			t.Errorf("--probe-rate %s: %s", v, r)
		}
		if r.Signal != syscall.Signal(0) || strings.Contains(r.Stderr, "internal error") || strings.Contains(r.Stderr, "goroutine") {
			t.Errorf("--probe-rate %s crashed: %s", v, r)
		}
	}
	if after := e2etest.Invocations(t, units); after[units[0]] != before[units[0]] {
		t.Errorf("an instance was restarted: %v -> %v", before, after)
	}
}
