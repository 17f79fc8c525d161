//go:build integration

package guard_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/release"
)

// apply and uninstall (plain and --purge) run while a deploy holds the
// service's lock are refused with the holder's pid and command, and change
// nothing: no unit file rewritten, no instance stopped; the deploy then
// completes.
func TestApplyAndUninstallDuringADeployAreRefused(t *testing.T) {
	s := newService(t, "e2e-guard-lock", 23000, 3, 4*time.Second)
	template := "/etc/systemd/system/" + s.name + "@.service"
	unitBefore := s.run("cat", template)
	before := s.invocations()

	b := s.deployInBackground("v2")
	b.WaitEvent(30*time.Second, phaseOf(strconv.Itoa(s.ports[0]), "gate"))
	// The new file drops an instance and changes the units.
	e2etest.WriteFile(t, s.file(), strings.Replace(s.yaml(s.ports[:2]), "stop_timeout: 10s", "stop_timeout: 7s", 1), 0o644)
	for _, args := range [][]string{
		{"apply", s.file()},
		{"uninstall", s.name},
		{"uninstall", s.name, "--purge"},
	} {
		r := s.sysroll(args...)
		if r.Code == 0 {
			t.Errorf("sysroll %s during a deploy exited 0: %s", strings.Join(args, " "), r)
			continue
		}
		for _, want := range []string{"already running: pid " + b.PID(), "(" + e2etest.BinDir + "/sysroll deploy " + s.name} {
			if !strings.Contains(r.Stderr, want) {
				t.Errorf("sysroll %s: stderr does not name the holder (%q): %s", strings.Join(args, " "), want, r)
			}
		}
	}
	if after := s.run("cat", template); after != unitBefore {
		t.Errorf("the template unit changed under the deploy:\n%s", after)
	}
	now := s.invocations()
	for _, p := range s.ports[1:] {
		if now[s.unit(p)] != before[s.unit(p)] {
			t.Errorf("%s was restarted or stopped while the deploy held the lock", s.unit(p))
		}
	}

	if r := b.Wait(60 * time.Second); r.Code != 0 {
		t.Fatalf("the deploy did not complete: %s", r)
	}
	s.assertOn(s.ports, "v2")
	if rec := s.lastRecord(); rec.Result != release.ResultSucceeded || rec.To != "v2" {
		t.Errorf("deploy record: %s to %s", rec.Result, rec.To)
	}
}

// apply removes an instance while a rollout is interrupted (kill -9 after
// its first instance); `deploy --resume` then completes the rollout
// without starting the removed instance again.
func TestResumeDoesNotStartAnInstanceApplyRemoved(t *testing.T) {
	s := newService(t, "e2e-guard-removed", 23010, 3, time.Second)
	first, third := strconv.Itoa(s.ports[0]), s.ports[2]
	killAt(t, s.deployInBackground("v2"), phaseOf(first, "done"))

	e2etest.WriteFile(t, s.file(), s.yaml(s.ports[:2]), 0o644)
	if r := s.sysroll("apply", s.file()); r.Code != 0 {
		t.Fatalf("apply removing %d during the interrupted rollout: %s", third, r)
	}
	if v, err := e2etest.VersionOf(third); err == nil {
		t.Fatalf("instance %d still answers (%s) after apply removed it", third, v)
	}
	r := s.sysroll("deploy", s.name, "--resume")
	t.Logf("sysroll deploy --resume:\n%s%s", r.Stdout, r.Stderr)
	if r.Code != 0 {
		t.Fatalf("resume: %s", r)
	}
	s.assertOn(s.ports[:2], "v2")
	if v, err := e2etest.VersionOf(third); err == nil {
		t.Errorf("resume started the removed instance %d again: it answers %s", third, v)
	}
	props := e2etest.UnitProps(t, []string{s.unit(third)}, "ActiveState")
	if st := props[s.unit(third)]["ActiveState"]; st != "inactive" && st != "" {
		t.Errorf("%s is %s after the resume, want inactive", s.unit(third), st)
	}
	if rec := s.lastRecord(); rec.Result != release.ResultSucceeded {
		t.Errorf("resumed record: %s", rec.Result)
	}
}

// apply adding an instance while a rollout is interrupted is refused,
// naming resume and rollback, and starts nothing: the rollout would not
// move the new instance.
func TestApplyCannotAddAnInstanceDuringAnInterruptedRollout(t *testing.T) {
	s := newService(t, "e2e-guard-added", 23060, 2, time.Second)
	killAt(t, s.deployInBackground("v2"), phaseOf(strconv.Itoa(s.ports[0]), "done"))
	e2etest.WriteFile(t, s.file(), s.yaml([]int{s.ports[0], s.ports[1], 23062}), 0o644)
	r := s.sysroll("apply", s.file())
	if r.Code == 0 || !strings.Contains(r.Stderr, "cannot add instance 23062") || !strings.Contains(r.Stderr, "sysroll deploy "+s.name+" --resume") {
		t.Errorf("apply adding an instance during the interrupted rollout: %s", r)
	}
	if v, err := e2etest.VersionOf(23062); err == nil {
		t.Errorf("the refused apply started 23062 (answers %s)", v)
	}
	if r := s.sysroll("deploy", s.name, "--resume"); r.Code != 0 {
		t.Fatalf("resume: %s", r)
	}
	s.assertOn(s.ports, "v2")
}
