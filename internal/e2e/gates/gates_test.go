//go:build integration

package gates_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
	"github.com/sysroll/sysroll/internal/testbed"
)

// service is e2etest's hello service of 3 instances, with rollout keys
// of the test's.
type service struct{ *e2etest.HelloService }

func newService(t *testing.T, name string, first int, rollout string) *service {
	t.Helper()
	return &service{e2etest.NewHelloService(t, name, first, rollout)}
}

// assertUntouched fails the test if any of units has another InvocationID
// than in before.
func (s *service) assertUntouched(before map[string]string, units ...string) {
	s.T.Helper()
	after := e2etest.Invocations(s.T, units)
	for _, u := range units {
		if after[u] != before[u] {
			s.T.Errorf("%s was restarted (InvocationID %s -> %s)", u, before[u], after[u])
		}
	}
}

// noSysroll fails the test if a sysroll process runs in the container: a
// paused rollout is a record, not a waiting process.
func noSysroll(t *testing.T) {
	t.Helper()
	r := e2etest.Run(t, "pgrep", "-a", "-x", "sysroll")
	if r.Code == 0 {
		t.Errorf("a sysroll process is alive while the rollout is paused:\n%s", r.Stdout)
	}
}

// deployToGate deploys v2 and expects it to stop at a pause: exit 3,
// the record paused, no process left, the lock free.
func (s *service) deployToGate(art string) release.Record {
	s.T.Helper()
	r := e2etest.Sysroll(s.T, "deploy", s.Name, "--artifact", art, "--version", "v2")
	if r.Code != 3 {
		s.T.Fatalf("deploy exited %d, want 3 (paused at the gate): %s", r.Code, r)
	}
	if !strings.Contains(r.Stdout, "nothing failed") || !strings.Contains(r.Stdout, "sysroll promote "+s.Name+" --pause 1") {
		s.T.Errorf("deploy's output does not say how to go on:\n%s", r.Stdout)
	}
	s.T.Logf("deploy stopped at the gate:\n%s", r.Stdout)
	noSysroll(s.T)
	rec := e2etest.LastRecord(s.T, s.Name)
	if rec.Result != release.ResultPaused || rec.Waiting() != 0 {
		s.T.Fatalf("record %s, pauses %+v", rec.Result, rec.Pauses)
	}
	return rec
}

func TestGatePromote(t *testing.T) {
	s := newService(t, "e2e-gate-promote", 26000, "  steps: [{batch: 1}, {pause: {}}, {batch: \"100%\"}]\n")
	before := e2etest.Invocations(t, s.Units())
	art := s.Release("v2")
	start := time.Now()
	rec := s.deployToGate(art)
	t.Logf("deploy stopped at the gate after %s", time.Since(start).Round(time.Millisecond))
	if got := s.Versions(); got != "v2,v1,v1" {
		t.Errorf("versions at the gate %s, want v2,v1,v1", got)
	}
	s.assertUntouched(before, s.Units()[1:]...) // nothing after the gate moved
	after := e2etest.Invocations(t, s.Units())
	// Status tells the truth and exits 0 (a pause is no fault); another
	// deploy is refused; resume never passes a gate.
	st := e2etest.Sysroll(t, "status", s.Name)
	t.Logf("status at the gate:\n%s", st.Stdout)
	if st.Code != 0 || !strings.Contains(st.Stdout, "PAUSED ROLLOUT "+rec.ID) || !strings.Contains(st.Stdout, "approval gate after batch 1") {
		t.Errorf("status at the gate: %s", st)
	}
	var js schema.Status
	if r := e2etest.Sysroll(t, "status", s.Name, "--json"); r.Code != 0 || json.Unmarshal([]byte(r.Stdout), &js) != nil ||
		js.Paused == nil || js.Paused.ID != rec.ID || js.Interrupted != nil {
		t.Errorf("status --json: want paused_rollout %s and no interrupted one: %s", rec.ID, r)
	}
	if r := e2etest.Sysroll(t, "deploy", s.Name, "--artifact", s.Release("v3"), "--version", "v3"); r.Code != 2 || !strings.Contains(r.Stderr, "sysroll promote") {
		t.Errorf("a deploy while paused: %s", r)
	}
	if r := e2etest.Sysroll(t, "resume", s.Name); r.Code != 2 || !strings.Contains(r.Stderr, "resume never passes it") {
		t.Errorf("resume at a gate: %s", r)
	}
	if r := e2etest.Sysroll(t, "deploy", s.Name, "--resume"); r.Code != 2 {
		t.Errorf("deploy --resume at a gate: %s", r)
	}
	// The expiry timer is armed in systemd.
	if r := e2etest.Run(t, "systemctl", "is-active", rec.Pauses[0].Timer); r.Code != 0 || strings.TrimSpace(r.Stdout) != "active" {
		t.Errorf("expiry timer %q: %s", rec.Pauses[0].Timer, r)
	}

	// The gate's timer holds the lock for its brief checks: promote waits
	// for it rather than refuse (here something holds it for 3s).
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	held := testbed.Shared(t).Command(ctx, "flock", "-x", "/var/lib/sysroll/"+s.Name+"/lock", "sleep", "3")
	if err := held.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	start = time.Now()
	r := e2etest.Sysroll(t, "promote", s.Name, "--pause", "1", "--reason", "canary fine")
	if r.Code != 0 {
		t.Fatalf("promote: %s", r)
	}
	_ = held.Wait()
	if took := time.Since(start); took < 2*time.Second {
		t.Errorf("promote took %s while the lock was held 2.5s more: it did not wait", took)
	}
	t.Logf("promote (after waiting for the held lock) completed the rollout in %s", time.Since(start).Round(time.Millisecond))
	if got := s.Versions(); got != "v2,v2,v2" {
		t.Errorf("versions after promote %s", got)
	}
	last := e2etest.LastRecord(t, s.Name)
	p := last.Pauses[0]
	if last.ID != rec.ID || last.Result != release.ResultSucceeded || p.Result != release.PausePromoted || p.Promotion == nil || p.Promotion.Reason != "canary fine" {
		t.Errorf("record after promote: %s %s, pause %+v", last.ID, last.Result, p)
	}
	if r := e2etest.Run(t, "systemctl", "is-active", p.Timer); strings.TrimSpace(r.Stdout) == "active" {
		t.Errorf("expiry timer %s still active after promote", p.Timer)
	}
	if after2 := e2etest.Invocations(t, s.Units()); after2[s.Units()[0]] != after[s.Units()[0]] {
		t.Errorf("the canary restarted again on promote")
	}
	h := e2etest.Sysroll(t, "history", s.Name)
	if !strings.Contains(h.Stdout, "approval gate after batch 1: promoted") || !strings.Contains(h.Stdout, "canary fine") {
		t.Errorf("history does not show who promoted and why:\n%s", h.Stdout)
	}
	t.Logf("history:\n%s", h.Stdout)
}

// Two gates: a promote of the first after the rollout moved on to the
// second is refused; abort then reverts both updated instances.
func TestStalePromoteRefusedThenAbort(t *testing.T) {
	s := newService(t, "e2e-gate-stale", 26010, "  steps: [{batch: 1}, {pause: {}}, {batch: 1}, {pause: {}}, {batch: \"100%\"}]\n")
	before := e2etest.Invocations(t, s.Units())
	rec := s.deployToGate(s.Release("v2"))
	if r := e2etest.Sysroll(t, "promote", s.Name, "--pause", "1"); r.Code != 3 {
		t.Fatalf("promote of the first gate exited %d, want 3 (at the second): %s", r.Code, r)
	}
	noSysroll(t)
	if got := s.Versions(); got != "v2,v2,v1" {
		t.Errorf("versions at the second gate %s", got)
	}
	r := e2etest.Sysroll(t, "promote", s.Name, "--pause", "1")
	if r.Code != 2 || !strings.Contains(r.Stderr, "has moved on") {
		t.Errorf("stale promote: %s", r)
	}
	if r := e2etest.Sysroll(t, "promote", s.Name, "--rollout", "20200101T000000Z-000000"); r.Code != 2 {
		t.Errorf("promote of another rollout: %s", r)
	}
	if got := s.Versions(); got != "v2,v2,v1" {
		t.Errorf("a refused promote changed something: %s", got)
	}
	start := time.Now()
	r = e2etest.Sysroll(t, "abort", s.Name, "--reason", "p99 doubled")
	if r.Code != 0 {
		t.Fatalf("abort: %s", r)
	}
	t.Logf("abort reverted in %s:\n%s", time.Since(start).Round(time.Millisecond), r.Stdout)
	if got := s.Versions(); got != "v1,v1,v1" {
		t.Errorf("versions after abort %s", got)
	}
	last := e2etest.LastRecord(t, s.Name)
	if last.ID != rec.ID || last.Result != release.ResultRolledBack || !strings.Contains(last.Reason, "p99 doubled") || last.Pauses[1].Result != release.PauseAborted {
		t.Errorf("record after abort: %s %s (%s), pauses %+v", last.ID, last.Result, last.Reason, last.Pauses)
	}
	s.assertUntouched(before, s.Units()[2]) // never touched by the rollout, nor by the abort
	// A new deploy is allowed again.
	if r := e2etest.Sysroll(t, "deploy", s.Name, "--artifact", s.Release("v3"), "--version", "v3", "--dry-run"); r.Code != 0 {
		t.Errorf("deploy after abort: %s", r)
	}
}

// A canary restarted while the rollout waited at its gate is not the
// process that passed: promote fails the batch, which is rolled back.
func TestPromoteRefusesRestartedCanary(t *testing.T) {
	s := newService(t, "e2e-gate-restarted", 26020, "  steps: [{batch: 1}, {pause: {}}, {batch: \"100%\"}]\n")
	s.deployToGate(s.Release("v2"))
	if r := e2etest.Run(t, "systemctl", "restart", s.Units()[0]); r.Code != 0 {
		t.Fatalf("systemctl restart: %s", r)
	}
	e2etest.WaitVersion(t, s.Name, s.Ports[:1], "v2", 15*time.Second)
	r := e2etest.Sysroll(t, "promote", s.Name)
	if r.Code != 1 || !strings.Contains(r.Stdout+r.Stderr, "its process changed") {
		t.Fatalf("promote of a restarted canary exited %d, want 1 (its batch failed): %s", r.Code, r)
	}
	if got := s.Versions(); got != "v1,v1,v1" {
		t.Errorf("versions after the refused promote %s, want the canary rolled back", got)
	}
	last := e2etest.LastRecord(t, s.Name)
	if last.Result != release.ResultRolledBack || last.Pauses[0].Result != release.PauseFailed {
		t.Errorf("record %s, pause %+v", last.Result, last.Pauses[0])
	}
	t.Logf("promote said:\n%s%s", r.Stdout, r.Stderr)
}

// `sysroll pause` from a second command while batch 1 runs: the batch
// finishes, deploy exits 3; resume continues.
func TestPauseRequestThenResume(t *testing.T) {
	s := newService(t, "e2e-gate-pause", 26030, "  batch: 1\n")
	b := e2etest.StartSysroll(t, "deploy", s.Name, "--artifact", s.Release("v2"), "--version", "v2", "--json")
	b.WaitEvent(30*time.Second, func(e schema.Event) bool { return e.Type == "batch-start" })
	r := e2etest.Sysroll(t, "pause", s.Name, "--reason", "look first")
	if r.Code != 0 {
		t.Fatalf("pause: %s", r)
	}
	if !strings.Contains(r.Stdout, "next: `sysroll resume "+s.Name+"`") {
		t.Errorf("pause does not say how to go on:\n%s", r.Stdout)
	}
	d := b.Wait(60 * time.Second)
	if d.Code != 3 {
		t.Fatalf("deploy exited %d after the pause request, want 3: %s", d.Code, d)
	}
	noSysroll(t)
	if got := s.Versions(); got != "v2,v1,v1" {
		t.Errorf("versions at the pause %s, want batch 1 finished", got)
	}
	rec := e2etest.LastRecord(t, s.Name)
	if rec.Result != release.ResultPaused || rec.Pauses[0].Kind != release.PauseManual || rec.Pauses[0].Reason != "look first" {
		t.Errorf("record %s, pauses %+v", rec.Result, rec.Pauses)
	}
	if r := e2etest.Sysroll(t, "promote", s.Name); r.Code != 2 || !strings.Contains(r.Stderr, "sysroll resume") {
		t.Errorf("promote of a manual pause: %s", r)
	}
	if r := e2etest.Sysroll(t, "resume", s.Name); r.Code != 0 {
		t.Fatalf("resume: %s", r)
	}
	if got := s.Versions(); got != "v2,v2,v2" {
		t.Errorf("versions after resume %s", got)
	}
	if last := e2etest.LastRecord(t, s.Name); last.ID != rec.ID || last.Result != release.ResultSucceeded || last.Pauses[0].Result != release.PauseResumed {
		t.Errorf("record after resume %s %s, pauses %+v", last.ID, last.Result, last.Pauses)
	}
}

// `sysroll abort` from a second command during a timed pause: the running
// rollout takes the request at its next health check and reverts.
func TestAbortRequestDuringTimedPause(t *testing.T) {
	s := newService(t, "e2e-gate-abort", 26040, "  steps: [{batch: 1}, {pause: 10m}, {batch: \"100%\"}]\n")
	b := e2etest.StartSysroll(t, "deploy", s.Name, "--artifact", s.Release("v2"), "--version", "v2", "--json")
	b.WaitEvent(30*time.Second, func(e schema.Event) bool { return e.Type == "pause" })
	start := time.Now()
	r := e2etest.Sysroll(t, "abort", s.Name, "--reason", "saw errors")
	if r.Code != 0 {
		t.Fatalf("abort: %s", r)
	}
	t.Logf("abort of the running rollout took %s", time.Since(start).Round(time.Millisecond))
	d := b.Wait(30 * time.Second)
	if d.Code != 1 {
		t.Errorf("the aborted deploy exited %d, want 1: %s", d.Code, d)
	}
	if got := s.Versions(); got != "v1,v1,v1" {
		t.Errorf("versions after abort %s", got)
	}
	last := e2etest.LastRecord(t, s.Name)
	if last.Result != release.ResultRolledBack || last.Pauses[0].Result != release.PauseAborted || !strings.Contains(last.Reason, "saw errors") {
		t.Errorf("record %s (%s), pauses %+v", last.Result, last.Reason, last.Pauses)
	}
}

// `sysroll promote` from a second command during a 10m timed pause: the
// running rollout passes the pause at its next health check and completes.
func TestPromoteEndsTimedPause(t *testing.T) {
	s := newService(t, "e2e-gate-early", 26057, "  steps: [{batch: 1}, {pause: 10m}, {batch: \"100%\"}]\n")
	b := e2etest.StartSysroll(t, "deploy", s.Name, "--artifact", s.Release("v2"), "--version", "v2", "--json")
	b.WaitEvent(30*time.Second, func(e schema.Event) bool { return e.Type == "pause" })
	if r := e2etest.Sysroll(t, "promote", s.Name, "--pause", "2"); r.Code != 2 || !strings.Contains(r.Stderr, "not pause 2") {
		t.Errorf("promote of a pause the rollout is not in: %s", r)
	}
	start := time.Now()
	if r := e2etest.Sysroll(t, "promote", s.Name, "--pause", "1", "--reason", "bake is enough"); r.Code != 0 {
		t.Fatalf("promote: %s", r)
	}
	d := b.Wait(60 * time.Second)
	if d.Code != 0 {
		t.Fatalf("the promoted deploy exited %d: %s", d.Code, d)
	}
	t.Logf("the rollout completed %s after promote ended its 10m pause", time.Since(start).Round(time.Millisecond))
	if got := s.Versions(); got != "v2,v2,v2" {
		t.Errorf("versions %s", got)
	}
	p := e2etest.LastRecord(t, s.Name).Pauses[0]
	if p.Result != release.PausePromoted || p.Promotion == nil || p.Promotion.Reason != "bake is enough" {
		t.Errorf("pause %+v", p)
	}
}
