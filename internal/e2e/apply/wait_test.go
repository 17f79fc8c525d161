//go:build integration

package apply

import (
	"encoding/json"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/host"
)

// Issue 10 item 2: apply waits for the gate of what it started, status has
// an exit code, a taken port is refused. Ports 24700-24799.

// TestApplyWaitsUntilHealthy: a good first release exits 0 only once
// every instance has been healthy for healthy_for (1s), and status exits 0.
func TestApplyWaitsUntilHealthy(t *testing.T) {
	s := service{name: "e2e-wait-ok", ports: []int{24700, 24701, 24702}}
	start := time.Now()
	r := s.install(t)
	took := time.Since(start)
	for _, p := range s.ports {
		unit := instanceUnit(s.name, p)
		if !strings.Contains(r.Stdout, unit+": waiting for the health gate (ready, then healthy for 1s; deadline 30s)") ||
			!regexp.MustCompile(regexp.QuoteMeta(unit)+`: healthy after [0-9.]+s`).MatchString(r.Stdout) {
			t.Errorf("apply output lacks the wait of %s:\n%s", unit, r.Stdout)
		}
	}
	if took < time.Second {
		t.Errorf("apply took %s, less than healthy_for", took)
	}
	t.Logf("apply of 3 healthy instances took %s", took.Round(time.Millisecond))
	if st := e2etest.Sysroll(t, "status", s.name); st.Code != 0 || !strings.Contains(st.Stdout, "3/3 running, 3 healthy") {
		t.Errorf("status of a healthy service: want exit 0, got %s", st)
	}
}

// TestApplyCrashLoopFails: apply exited 0 while every instance
// crash-looped. Now it exits 1, each instance shown with why and the
// journal line the app printed, and --json carries the per-instance result.
func TestApplyCrashLoopFails(t *testing.T) {
	s := service{name: "e2e-wait-crash", ports: []int{24710, 24711}}
	file := s.write(t)
	bad := e2etest.HelloRelease(t, path.Join(workRoot, s.name, "release-crash"), "crash", "--crash-after=300ms")
	t.Cleanup(func() { s.uninstall(t) })

	start := time.Now()
	r := e2etest.Sysroll(t, "apply", file, "--artifact", bad, "--version", "crash")
	took := time.Since(start)
	t.Logf("apply of a crash-looping release: exit %d after %s\n%s%s", r.Code, took.Round(time.Millisecond), r.Stdout, r.Stderr)
	if r.Code != 1 || !strings.Contains(r.Stderr, "2 of 2 started instance(s) did not pass the health gate") {
		t.Fatalf("apply of a crash-looping release: want exit 1 saying the gate failed, got %s", r)
	}
	for _, p := range s.ports {
		unit := instanceUnit(s.name, p)
		if !regexp.MustCompile(regexp.QuoteMeta(unit) + `: FAILED after [0-9.]+m?s: crashed`).MatchString(r.Stdout) {
			t.Errorf("apply does not show %s failed as crashed:\n%s", unit, r.Stdout)
		}
	}
	if !strings.Contains(r.Stdout, "its last journal lines:") || !strings.Contains(r.Stdout, "crashing on purpose (--crash-after)") {
		t.Errorf("apply does not show the app's own journal line:\n%s", r.Stdout)
	}
	if took > 20*time.Second {
		t.Errorf("apply took %s to see a crash 300ms after start", took)
	}
	// Not proven good: nothing to roll back to.
	if out := e2etest.Run(t, "cat", path.Join(stateRoot, s.name, "known-good")); strings.Contains(out.Stdout, "crash") {
		t.Errorf("the crash-looping release was marked good: %s", out.Stdout)
	}

	// --json: the report with each instance's result.
	one := service{name: "e2e-wait-json", ports: []int{24715}}
	jfile := one.write(t)
	t.Cleanup(func() { one.uninstall(t) })
	r = e2etest.Sysroll(t, "apply", jfile, "--artifact", bad, "--version", "crash", "--json")
	if r.Code != 1 {
		t.Fatalf("apply --json of a crash-looping release: want exit 1, got %s", r)
	}
	var rep host.ApplyReport
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
		t.Fatalf("apply --json output: %v\n%s", err, r.Stdout)
	}
	if len(rep.Waited) != 1 || rep.Waited[0].Healthy || !strings.Contains(rep.Waited[0].Error, "crashed") ||
		!strings.Contains(strings.Join(rep.Waited[0].Logs, "\n"), "crashing on purpose") {
		t.Errorf("apply --json waited = %+v, want the instance failed with its journal lines", rep.Waited)
	}

	// --no-wait: the old behaviour, exit 0 once the start jobs are done.
	nw := service{name: "e2e-wait-nowait", ports: []int{24716}}
	t.Cleanup(func() { nw.uninstall(t) })
	if r := e2etest.Sysroll(t, "apply", nw.write(t), "--artifact", bad, "--version", "crash", "--no-wait"); r.Code != 0 || strings.Contains(r.Stdout, "waiting") {
		t.Errorf("apply --no-wait: want exit 0 without waiting, got %s", r)
	}
}

// TestStatusExitCode: status exited 0 with 0/2 healthy. A first release
// that fails at start leaves both instances down: exit 1 (with --json
// too); a good release brings them up: exit 0.
func TestStatusExitCode(t *testing.T) {
	s := service{name: "e2e-wait-status", ports: []int{24720, 24721}}
	file := s.write(t)
	bad := e2etest.HelloRelease(t, path.Join(workRoot, s.name, "release-bad"), "bad", "--fail-at-start")
	t.Cleanup(func() { s.uninstall(t) })
	r := e2etest.Sysroll(t, "apply", file, "--artifact", bad, "--version", "bad")
	if r.Code != 1 || !strings.Contains(r.Stderr, "its last journal lines:") || !strings.Contains(r.Stderr, "failing at start on purpose") {
		t.Fatalf("apply of a release that fails at start: want exit 1 with its journal lines, got %s", r)
	}
	for _, args := range [][]string{{"status", s.name}, {"status", s.name, "--json"}, {"status", s.name, "--no-probe"}} {
		if r := e2etest.Sysroll(t, args...); r.Code != 1 {
			t.Errorf("%s with 0/2 healthy: want exit 1, got %s", strings.Join(args, " "), r)
		}
	}
	if r := e2etest.Sysroll(t, "status", s.name); !strings.Contains(r.Stdout, "0/2 running, 0 healthy") {
		t.Errorf("status:\n%s", r.Stdout)
	}
	s.apply(t, "--artifact", s.release(t, "v1"), "--version", "v1")
	for _, args := range [][]string{{"status", s.name}, {"status", s.name, "--json"}} {
		if r := e2etest.Sysroll(t, args...); r.Code != 0 {
			t.Errorf("%s with 2/2 healthy: want exit 0, got %s", strings.Join(args, " "), r)
		}
	}
	// One stopped by hand: 1 again.
	must(t, "systemctl", "stop", instanceUnit(s.name, 24721))
	if r := e2etest.Sysroll(t, "status", s.name); r.Code != 1 || !strings.Contains(r.Stdout, "1/2 running, 1 healthy") {
		t.Errorf("status with one instance stopped: want exit 1, got %s", r)
	}
}

// TestApplyRefusesAPortInUse: an instance on a port another unit listens on
// crash-looped on "address already in use". apply now refuses before
// anything changes, naming the holder's pid, command and unit.
func TestApplyRefusesAPortInUse(t *testing.T) {
	s := service{name: "e2e-wait-port", ports: []int{24730, 24731}}
	const squatter = "e2e-wait-squatter.service"
	must(t, "systemd-run", "--unit="+squatter, "--", e2etest.BinDir+"/hello", "--port", "24731")
	t.Cleanup(func() {
		e2etest.Run(t, "systemctl", "stop", squatter)
		e2etest.Run(t, "systemctl", "reset-failed", squatter)
	})
	pid := ""
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if _, err := get(24731); err == nil {
			pid = show(t, squatter, "MainPID")["MainPID"]
			break
		}
	}
	if pid == "" || pid == "0" {
		t.Fatalf("the squatter does not listen on 24731")
	}
	file := s.write(t)
	t.Cleanup(func() { s.uninstall(t) })
	r := e2etest.Sysroll(t, "apply", file, "--artifact", s.release(t, "v1"), "--version", "v1")
	want := "port 24731 is in use by pid " + pid + " (hello) of " + squatter
	if r.Code != 1 || !strings.Contains(r.Stderr, want) || !strings.Contains(r.Stderr, "nothing changed") {
		t.Fatalf("apply onto a taken port: want exit 1 with %q, got %s", want, r)
	}
	t.Logf("refused: %s", strings.TrimSpace(r.Stderr))
	if got := listUnits(t, s.name+"@*"); len(got) != 0 {
		t.Errorf("a refused apply started %v", got)
	}
	if r := e2etest.Run(t, "test", "-e", path.Join(unitDir, s.name+"@.service")); r.Code == 0 {
		t.Error("a refused apply installed the template unit")
	}
	if r := e2etest.Run(t, "test", "-e", path.Join(stateRoot, s.name)); r.Code == 0 {
		t.Error("a refused apply left a state dir")
	}
	// The port freed, the same apply goes through.
	must(t, "systemctl", "stop", squatter)
	s.apply(t, "--artifact", s.release(t, "v1"), "--version", "v1")
	wantRunning(t, s, "v1")
	// Applying again while its own instances hold the ports is no conflict.
	s.apply(t)
}

// TestLogs: `sysroll logs` shows what an instance printed: one instance,
// all of them prefixed, -n, and -f picks up a new line and ends on SIGINT
// with exit 0.
func TestLogs(t *testing.T) {
	s := service{name: "e2e-wait-logs", ports: []int{24740, 24741}}
	s.install(t)
	one := e2etest.MustSysroll(t, "logs", s.name, "24740")
	if !strings.Contains(one.Stdout, "msg=listening") {
		t.Errorf("logs of one instance lack its listening line:\n%s", one.Stdout)
	}
	if strings.Contains(one.Stdout, "24741") {
		t.Errorf("logs of 24740 show 24741's lines:\n%s", one.Stdout)
	}
	all := e2etest.MustSysroll(t, "logs", s.name)
	for _, p := range s.ports {
		if !regexp.MustCompile(`(?m)^\w{3} \d\d \d\d:\d\d:\d\d ` + strconv.Itoa(p) + `: .*listening`).MatchString(all.Stdout) {
			t.Errorf("logs of all instances lack a prefixed listening line of %d:\n%s", p, all.Stdout)
		}
	}
	if n := e2etest.MustSysroll(t, "logs", s.name, "24740", "-n", "1"); strings.Count(strings.TrimSpace(n.Stdout), "\n") != 0 || n.Stdout == "" {
		t.Errorf("logs -n 1: want one line, got:\n%s", n.Stdout)
	}
	js := e2etest.MustSysroll(t, "logs", s.name, "--json", "-n", "5")
	for _, l := range strings.Split(strings.TrimSpace(js.Stdout), "\n") {
		var ll host.LogLine
		if err := json.Unmarshal([]byte(l), &ll); err != nil || ll.Time.IsZero() || ll.Instance == "" || ll.Unit == "" {
			t.Errorf("logs --json line %q: %+v %v", l, ll, err)
		}
	}
	r := e2etest.Sysroll(t, "logs", s.name, "24749")
	if r.Code != 2 || !strings.Contains(r.Stderr, `has no instance "24749"; its instances: 24740, 24741`) {
		t.Errorf("logs of an unknown instance: want exit 2 listing the instances, got %s", r)
	}

	// -f: a restart makes new lines (systemd's and the app's).
	b := e2etest.StartSysroll(t, "logs", s.name, "24741", "-f", "-n", "0")
	time.Sleep(500 * time.Millisecond) // journalctl is following
	must(t, "systemctl", "restart", instanceUnit(s.name, 24741))
	b.WaitLine(15*time.Second, "listening")
	b.Signal("INT")
	if res := b.Wait(10 * time.Second); res.Code != 0 {
		t.Errorf("logs -f after SIGINT: want exit 0, got %s", res)
	}
}
