//go:build integration

package gates_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/release"
)

// waitEnded waits for the service's newest record to leave paused.
func waitEnded(t *testing.T, name string, within time.Duration) release.Record {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		rec := e2etest.LastRecord(t, name)
		if rec.Result != release.ResultPaused && rec.Result != release.ResultRunning {
			return rec
		}
		if time.Now().After(deadline) {
			t.Fatalf("rollout %s still %s after %s", rec.ID, rec.Result, within)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// A gate left waiting past pause_expiry: its transient systemd timer runs
// the expiry with no sysroll process alive, and every touched instance is
// rolled back.
func TestExpiredGateRollsBack(t *testing.T) {
	s := newService(t, "e2e-gate-expire", 26045, "  steps: [{batch: 1}, {pause: {}}, {batch: \"100%\"}]\n  pause_expiry: 5s\n")
	rec := s.deployToGate(s.Release("v2"))
	paused := time.Now()
	timer := rec.Pauses[0].Timer
	if r := e2etest.Run(t, "systemctl", "show", "-p", "ActiveState", "-p", "NextElapseUSecMonotonic", timer); r.Code != 0 || !strings.Contains(r.Stdout, "ActiveState=active") {
		t.Fatalf("timer %q: %s", timer, r)
	}
	noSysroll(t)
	last := waitEnded(t, s.Name, 30*time.Second)
	t.Logf("the expiry ended the rollout %s after the pause (expiry 5s): %s: %s", time.Since(paused).Round(100*time.Millisecond), last.Result, last.Reason)
	if last.ID != rec.ID || last.Result != release.ResultRolledBack || !strings.Contains(last.Reason, "expired") || last.Pauses[0].Result != release.PauseExpired {
		t.Errorf("record after expiry: %s %s (%s), pause %+v", last.ID, last.Result, last.Reason, last.Pauses[0])
	}
	if got := s.Versions(); got != "v1,v1,v1" {
		t.Errorf("versions after expiry %s", got)
	}
	// The timer's own service ran it: its journal says so.
	j := e2etest.Run(t, "journalctl", "--no-pager", "-o", "cat", "-u", strings.TrimSuffix(timer, ".timer")+".service")
	if !strings.Contains(j.Stdout, "expire") {
		t.Errorf("journal of the expiry service:\n%s", j.Stdout)
	}
	t.Logf("expiry service's journal:\n%s", j.Stdout)
}

// on_pause_expiry: keep ends the rollout halted, every instance as it is.
func TestExpiredGateKeeps(t *testing.T) {
	s := newService(t, "e2e-gate-keep", 26048, "  steps: [{batch: 1}, {pause: {}}, {batch: \"100%\"}]\n  pause_expiry: 3s\n  on_pause_expiry: keep\n")
	before := e2etest.Invocations(t, s.Units())
	rec := s.deployToGate(s.Release("v2"))
	last := waitEnded(t, s.Name, 30*time.Second)
	if last.ID != rec.ID || last.Result != release.ResultHalted || last.Pauses[0].Result != release.PauseExpired {
		t.Errorf("record after expiry: %s %s (%s), pause %+v", last.ID, last.Result, last.Reason, last.Pauses[0])
	}
	if got := s.Versions(); got != "v2,v1,v1" {
		t.Errorf("versions after a kept expiry %s, want as they were", got)
	}
	s.assertUntouched(before, s.Units()[1:]...)
	// Not blocked any more: a new deploy plans.
	if r := e2etest.Sysroll(t, "deploy", s.Name, "--artifact", s.Release("v3"), "--version", "v3", "--dry-run"); r.Code != 0 {
		t.Errorf("deploy after a kept expiry: %s", r)
	}
}

// A canary that restarts while its gate waits, with no sysroll process
// alive: the pause's timer sees it within its check interval and rolls the
// batch back, before anyone promotes.
func TestGateTimerCatchesCanaryRestart(t *testing.T) {
	s := newService(t, "e2e-gate-watch", 26051, "  steps: [{batch: 1}, {pause: {}}, {batch: \"100%\"}]\n")
	before := e2etest.Invocations(t, s.Units())
	s.deployToGate(s.Release("v2"))
	if r := e2etest.Run(t, "systemctl", "kill", "--signal=KILL", s.Units()[0]); r.Code != 0 {
		t.Fatalf("systemctl kill: %s", r)
	}
	killed := time.Now()
	noSysroll(t)
	last := waitEnded(t, s.Name, 40*time.Second)
	t.Logf("the pause's timer rolled the canary back %s after it was killed: %s", time.Since(killed).Round(100*time.Millisecond), last.Reason)
	if last.Result != release.ResultRolledBack || last.Pauses[0].Result != release.PauseFailed {
		t.Errorf("record %s (%s), pause %+v", last.Result, last.Reason, last.Pauses[0])
	}
	e2etest.WaitVersion(t, s.Name, s.Ports, "v1", 15*time.Second)
	s.assertUntouched(before, s.Units()[1:]...)
}

// Uninstalling a service whose rollout waits at a gate stops the pause's
// timer: nothing would wait there again.
func TestUninstallStopsPauseTimer(t *testing.T) {
	s := newService(t, "e2e-gate-uninst", 26054, "  steps: [{batch: 1}, {pause: {}}, {batch: \"100%\"}]\n")
	rec := s.deployToGate(s.Release("v2"))
	timer := rec.Pauses[0].Timer
	if r := e2etest.Run(t, "systemctl", "is-active", timer); strings.TrimSpace(r.Stdout) != "active" {
		t.Fatalf("the pause timer %s is not active before uninstall: %s", timer, r)
	}
	if r := e2etest.Sysroll(t, "uninstall", s.Name); r.Code != 0 {
		t.Fatalf("uninstall: %s", r)
	}
	if r := e2etest.Run(t, "systemctl", "is-active", timer); strings.TrimSpace(r.Stdout) == "active" {
		t.Errorf("the pause timer %s still runs after uninstall", timer)
	}
}
