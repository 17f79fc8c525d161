//go:build integration

package steps_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
)

// newService is a hello service of 3 instances with
// steps [batch 1, pause P, batch 100%].
func newService(t *testing.T, name string, first int, pause time.Duration) *e2etest.HelloService {
	t.Helper()
	return e2etest.NewHelloService(t, name, first, fmt.Sprintf("  steps: [{batch: 1}, {pause: %s}, {batch: \"100%%\"}]\n", pause))
}

// first returns the first event of type typ.
func first(evs []schema.Event, typ string) (schema.Event, bool) {
	for _, e := range evs {
		if e.Type == typ {
			return e, true
		}
	}
	return schema.Event{}, false
}

func TestPausePasses(t *testing.T) {
	s := newService(t, "e2e-steps-pass", 25900, 5*time.Second)
	// --dry-run lists the pause after the canary, in text and JSON.
	art := s.Release("v2")
	if r := e2etest.Sysroll(t, "deploy", s.Name, "--artifact", art, "--version", "v2", "--dry-run"); r.Code != 0 || !strings.Contains(r.Stdout, "  batch 1: 25900 (on v1)\n  pause 5s, watched") {
		t.Errorf("dry run: %s", r)
	}
	// The JSON plan is the last line (a staged event comes first).
	var plan schema.Plan
	r := e2etest.Sysroll(t, "deploy", s.Name, "--artifact", art, "--version", "v2", "--dry-run", "--json")
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	if r.Code != 0 || json.Unmarshal([]byte(lines[len(lines)-1]), &plan) != nil ||
		len(plan.Batches) != 2 || plan.Batches[0].PauseAfterSeconds != 5 || plan.Batches[1].PauseAfterSeconds != 0 {
		t.Errorf("dry run --json: %s (%+v)", r, plan)
	}
	r = e2etest.Sysroll(t, "deploy", s.Name, "--artifact", art, "--version", "v2", "--json")
	if r.Code != 0 {
		t.Fatalf("deploy: %s", r)
	}
	evs := e2etest.ParseEvents(t, r.Stdout)
	p, ok1 := first(evs, "pause")
	end, ok2 := first(evs, "pause-end")
	if !ok1 || !ok2 || end.PauseResult != "passed" || p.WaitSeconds != 5 || p.Batch != 0 {
		t.Fatalf("pause events %+v / %+v", p, end)
	}
	took := end.Time.Sub(p.Time)
	if took < 5*time.Second || took > 6*time.Second {
		t.Errorf("pause lasted %s by its events, want 5s", took)
	}
	second := strconv.Itoa(s.Ports[1])
	for _, e := range evs {
		if e.Instance == second && e.Time.Before(end.Time) {
			t.Errorf("%s in %s %s at %s, before the pause ended at %s", second, e.Type, e.Phase, e.Time, end.Time)
		}
	}
	if got := s.Versions(); got != "v2,v2,v2" {
		t.Errorf("versions %v", got)
	}
	rec := e2etest.LastRecord(t, s.Name)
	if rec.Result != release.ResultSucceeded || len(rec.Pauses) != 1 || rec.Pauses[0].Result != release.PausePassed {
		t.Errorf("record %s, pauses %+v", rec.Result, rec.Pauses)
	}
	t.Logf("pause from %s to %s (%s); history:\n%s", p.Time.Format(time.StampMilli), end.Time.Format(time.StampMilli), took,
		e2etest.Sysroll(t, "history", s.Name).Stdout)
}

func TestCanaryCrashesDuringPause(t *testing.T) {
	s := newService(t, "e2e-steps-crash", 25910, 30*time.Second)
	before := e2etest.Invocations(t, s.Units())
	start := time.Now()
	// Healthy for its 1s gate, then exits 2, 3s after ready: during the pause.
	r := e2etest.Sysroll(t, "deploy", s.Name, "--artifact", s.Release("v2", "--crash-after=3s"), "--version", "v2", "--json")
	if r.Code != 1 {
		t.Fatalf("deploy exited %d, want 1 (the batch failed during the pause): %s", r.Code, r)
	}
	if took := time.Since(start); took > 25*time.Second {
		t.Errorf("deploy took %s: the crash should end the 30s pause early", took)
	}
	evs := e2etest.ParseEvents(t, r.Stdout)
	end, ok := first(evs, "pause-end")
	if !ok || end.PauseResult != "failed" || !strings.Contains(end.Message, strconv.Itoa(s.Ports[0])) {
		t.Errorf("pause-end %+v", end)
	}
	e2etest.WaitVersion(t, s.Name, s.Ports, "v1", 15*time.Second)
	after := e2etest.Invocations(t, s.Units())
	for _, u := range s.Units()[1:] {
		if after[u] != before[u] {
			t.Errorf("%s was restarted (InvocationID %s → %s): the batch after the pause must stay untouched", u, before[u], after[u])
		}
	}
	rec := e2etest.LastRecord(t, s.Name)
	if rec.Result != release.ResultRolledBack || len(rec.Pauses) != 1 || rec.Pauses[0].Result != release.PauseFailed {
		t.Errorf("record %s (%s), pauses %+v", rec.Result, rec.Reason, rec.Pauses)
	}
	t.Logf("record: %s: %s; pause: %s", rec.Result, rec.Reason, rec.Pauses[0].Message)
}

func TestKillDuringPauseThenResume(t *testing.T) {
	s := newService(t, "e2e-steps-kill", 25920, 20*time.Second)
	b := e2etest.StartSysroll(t, "deploy", s.Name, "--artifact", s.Release("v2"), "--version", "v2", "--json")
	b.WaitEvent(30*time.Second, func(e schema.Event) bool { return e.Type == "pause" })
	time.Sleep(7 * time.Second) // past the first save of the watched time (5s)
	b.Signal("KILL")
	if r := b.Wait(10 * time.Second); r.Code == 0 {
		t.Fatalf("sysroll exited 0 after kill -9: %s", r)
	}
	st := e2etest.Status(t, s.Name)
	rec := st.Interrupted
	if rec == nil || rec.Result != release.ResultInterrupted || !strings.Contains(rec.Reason, "during the 20s pause after batch 1 (5s of it watched") {
		t.Fatalf("status after kill -9 during the pause: %+v", rec)
	}
	if got := s.Versions(); got != "v2,v1,v1" {
		t.Errorf("versions after the kill %v, want v2,v1,v1", got)
	}
	t.Logf("sysroll status:\n%s", e2etest.Sysroll(t, "status", s.Name).Stdout)

	start := time.Now()
	r := e2etest.Sysroll(t, "deploy", s.Name, "--resume", "--json")
	if r.Code != 0 {
		t.Fatalf("deploy --resume: %s", r)
	}
	evs := e2etest.ParseEvents(t, r.Stdout)
	p, ok := first(evs, "pause")
	if !ok || p.WaitSeconds < 14 || p.WaitSeconds > 15.5 {
		t.Errorf("resumed pause %+v: want the 15s left of it", p)
	}
	if end, ok := first(evs, "pause-end"); !ok || end.PauseResult != "passed" {
		t.Errorf("resumed pause-end %+v", end)
	}
	if took := time.Since(start); took < 15*time.Second {
		t.Errorf("resume took %s: it must wait the rest of the pause", took)
	}
	if got := s.Versions(); got != "v2,v2,v2" {
		t.Errorf("versions after resume %v", got)
	}
	last := e2etest.LastRecord(t, s.Name)
	if last.ID != rec.ID || last.Result != release.ResultSucceeded || last.Pauses[0].Result != release.PausePassed {
		t.Errorf("record after resume: %s %s, pauses %+v", last.ID, last.Result, last.Pauses)
	}
}

// Ctrl-C (SIGINT) during the pause: the rollout is recorded interrupted
// in the pause, with how much was watched, and resume completes it.
func TestCtrlCDuringPauseThenResume(t *testing.T) {
	s := newService(t, "e2e-steps-int", 25930, 10*time.Second)
	b := e2etest.StartSysroll(t, "deploy", s.Name, "--artifact", s.Release("v2"), "--version", "v2", "--json")
	b.WaitEvent(30*time.Second, func(e schema.Event) bool { return e.Type == "pause" })
	time.Sleep(3 * time.Second)
	b.Signal("INT")
	r := b.Wait(10 * time.Second)
	if r.Code == 0 {
		t.Fatalf("sysroll exited 0 after Ctrl-C: %s", r)
	}
	evs := e2etest.ParseEvents(t, r.Stdout)
	if end, ok := first(evs, "pause-end"); !ok || end.PauseResult != "interrupted" {
		t.Errorf("pause-end %+v", end)
	}
	rec := e2etest.LastRecord(t, s.Name)
	if rec.Result != release.ResultInterrupted || !strings.Contains(rec.Reason, "interrupted during the 10s pause after batch 1, 7s of it left") ||
		rec.Pauses[0].Result != release.PauseInterrupted {
		t.Errorf("record %s %q, pauses %+v", rec.Result, rec.Reason, rec.Pauses)
	}
	if got := s.Versions(); got != "v2,v1,v1" {
		t.Errorf("versions after Ctrl-C %v, want v2,v1,v1", got)
	}
	r = e2etest.Sysroll(t, "deploy", s.Name, "--resume", "--json")
	if r.Code != 0 {
		t.Fatalf("deploy --resume: %s", r)
	}
	if p, ok := first(e2etest.ParseEvents(t, r.Stdout), "pause"); !ok || p.WaitSeconds < 6.5 || p.WaitSeconds > 7.5 {
		t.Errorf("resumed pause %+v: want the 7s left of it", p)
	}
	if got := s.Versions(); got != "v2,v2,v2" {
		t.Errorf("versions after resume %v", got)
	}
}
