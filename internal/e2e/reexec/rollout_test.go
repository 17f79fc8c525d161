//go:build integration

package reexec

import (
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
)

// systemd re-executes twice during a deploy, under load through HAProxy:
// once while the first instance's restart job runs (the release takes
// 1.5s to become ready, so the job is queued and waiting for READY=1),
// once while the second instance's gate waits for it to stay healthy. The
// rollout completes, every instance on the new release, no request lost.
func TestDeploySurvivesReexec(t *testing.T) {
	s := newService(t, "rx-deploy", []int{23200, 23201, 23202}, 23203, "--startup-delay=1500ms")
	stop := s.load()
	start := time.Now()
	b := e2etest.StartSysroll(t, "deploy", s.name, "--artifact", s.release("v2", "--startup-delay=1500ms"), "--version", "v2", "--json")
	reexecOn(t, b, "with 23200's restart job queued", 300*time.Millisecond, "rx-deploy@23200.service", true, isPhase("23200", "restart"))
	reexecOn(t, b, "while 23201's gate waits", 500*time.Millisecond, "rx-deploy@23201.service", false, isPhase("23201", "gate"))
	r := b.Wait(2 * time.Minute)
	took := time.Since(start)
	stop()
	t.Logf("deploy took %s", took.Round(time.Millisecond))
	if r.Code != 0 {
		t.Fatalf("deploy across daemon-reexec: %s", r)
	}
	for _, e := range e2etest.ParseEvents(t, r.Stdout) {
		if e.Type == "instance-failed" || e.Type == "revert" {
			t.Errorf("event %s %s: %s", e.Type, e.Instance, e.Message)
		}
	}
	if rec := e2etest.LastRecord(t, s.name); rec.Result != release.ResultSucceeded {
		t.Errorf("record %s ended %s: %s", rec.ID, rec.Result, rec.Reason)
	}
	s.assertAllOn("v2")
}

// systemd re-executes while a revert's restart job runs: the new release
// fails its gate (unhealthy after 300ms), the rollout reverts the instance
// to v1 (which takes 1.5s to become ready), and daemon-reexec lands in that
// restart. The revert completes: the rollout ends rolled back, every
// instance on v1 and healthy, no request lost.
func TestRevertSurvivesReexec(t *testing.T) {
	s := newService(t, "rx-revert", []int{23210, 23211, 23212}, 23213, "--startup-delay=1500ms")
	stop := s.load()
	b := e2etest.StartSysroll(t, "deploy", s.name, "--artifact", s.release("v2", "--unhealthy-after=300ms"), "--version", "v2", "--json")
	reexecOn(t, b, "with 23210's revert restart job queued", 300*time.Millisecond, "rx-revert@23210.service", true, func(e schema.Event) bool {
		return e.Type == "revert" && e.Instance == "23210"
	})
	r := b.Wait(2 * time.Minute)
	stop()
	if r.Code != 1 {
		t.Errorf("deploy of a failing release: exit %d, want 1 (rolled back): %s", r.Code, r)
	}
	if strings.Contains(r.Stdout+r.Stderr, "could not revert") {
		t.Errorf("the revert failed across daemon-reexec: %s", r)
	}
	var reverted bool
	for _, e := range e2etest.ParseEvents(t, r.Stdout) {
		reverted = reverted || (e.Type == "reverted" && e.Instance == "23210")
	}
	if !reverted {
		t.Errorf("no reverted event for 23210: %s", r)
	}
	if rec := e2etest.LastRecord(t, s.name); rec.Result != release.ResultRolledBack {
		t.Errorf("record %s ended %s: %s", rec.ID, rec.Result, rec.Reason)
	}
	s.assertAllOn("v1")
}
