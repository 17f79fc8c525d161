package rollout_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/systemd"
)

// requests is a fake request box (release.Store's, in memory).
type requests struct {
	mu  sync.Mutex
	req *release.Request
}

func (r *requests) PendingRequest(string) (*release.Request, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.req == nil {
		return nil, nil
	}
	c := *r.req
	return &c, nil
}

func (r *requests) ClearRequest(string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.req = nil
	return nil
}

func (r *requests) put(req release.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.req = &req
}

// timers is a fake Expiry: what was armed and disarmed.
type timers struct {
	mu       sync.Mutex
	armed    []rollout.ExpiryArm
	disarmed []string
}

func (t *timers) Arm(_ context.Context, a rollout.ExpiryArm) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.armed = append(t.armed, a)
	return "sysroll-expire-test.timer", nil
}

func (t *timers) Disarm(_ context.Context, timer string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.disarmed = append(t.disarmed, timer)
	return nil
}

// gateDeps is the world's deps with a fake expiry timer.
func gateDeps(w *world) (rollout.Deps, *timers) {
	tm := &timers{}
	deps := w.deps()
	deps.Expiry = tm
	return deps, tm
}

// gateSpec is [batch 1, gate, batch 100%].
func gateSpec(w *world) rollout.Spec {
	s := w.spec("v2")
	s.Strategy.Steps = []config.RolloutStep{{Batch: config.Step{N: 1}}, {Gate: true}, {Batch: config.Step{Percent: 100}}}
	s.Strategy.PauseExpiry = time.Hour
	return s
}

// parkAtGate runs gateSpec to its gate and checks what it left: the canary
// on v2, the rest untouched, the record paused with the canary's process
// and the expiry recorded and armed.
func parkAtGate(t *testing.T, w *world, deps rollout.Deps, tm *timers) *release.Record {
	t.Helper()
	start := time.Now()
	rec, err := rollout.Run(t.Context(), gateSpec(w), deps)
	var pe *rollout.PausedError
	if !errors.As(err, &pe) || !errors.Is(err, rollout.ErrPaused) || rec.Result != release.ResultPaused || pe.Index != 0 {
		t.Fatalf("Run = %v, result %s", err, rec.Result)
	}
	w.assertSettled(map[string]string{"8081": "v2", "8082": "v1", "8083": "v1"})
	w.assertUntouched("8082", "8083")
	p := rec.Pauses[0]
	if p.Kind != release.PauseGate || p.Result != release.PauseWaiting || len(p.Watch) != 1 || p.Watch[0].Name != "8081" || p.Watch[0].InvocationID == "" {
		t.Errorf("pause %+v", p)
	}
	if want := start.Add(7 * time.Second).Add(time.Hour); !p.ExpiresAt.Equal(want) || p.OnExpiry != "rollback" || p.Timer == "" {
		t.Errorf("expiry %v %q %q, want %v rollback and a timer", p.ExpiresAt, p.OnExpiry, p.Timer, want)
	}
	if len(tm.armed) != 1 || !tm.armed[0].At.Equal(p.ExpiresAt) || tm.armed[0].Pause != 0 || tm.armed[0].Rollout != rec.ID {
		t.Errorf("armed %+v", tm.armed)
	}
	return rec
}

func TestGateParksThenPromoteCompletes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		deps, tm := gateDeps(w)
		rec := parkAtGate(t, w, deps, tm)

		// A resume without a promotion never passes the gate.
		if _, err := rollout.Resume(t.Context(), rec, w.spec(""), deps); !errors.Is(err, rollout.ErrNotResumable) {
			t.Fatalf("Resume without promotion = %v, want ErrNotResumable", err)
		}
		w.assertUntouched("8082", "8083")

		time.Sleep(10 * time.Minute)
		rec.Pauses[0].Promotion = &release.Promotion{By: "alice", At: time.Now(), Reason: "p99 fine"}
		out, err := rollout.Resume(t.Context(), rec, w.spec(""), deps)
		if err != nil || out.Result != release.ResultSucceeded {
			t.Fatalf("Resume after promote = %v, result %s", err, out.Result)
		}
		w.assertSettled(all(w, "v2"))
		if got := w.restarts(); !slices.Equal(got[:1], []string{"8081"}) || len(got) != 3 {
			t.Errorf("restarts %v: the canary must not restart again", got)
		}
		if q := out.Pauses[0]; q.Result != release.PausePromoted || q.Promotion == nil || q.Promotion.By != "alice" {
			t.Errorf("pause %+v", q)
		}
		if !slices.Equal(tm.disarmed, []string{"sysroll-expire-test.timer"}) {
			t.Errorf("disarmed %v", tm.disarmed)
		}
	})
}

// A canary that restarted while the rollout waited at its gate is not the
// process that passed: promote fails its batch, and the failure action
// (rollback) puts it back.
func TestGatePromoteRefusesChangedCanary(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(u *systemd.UnitState)
	}{
		{"restarted", func(u *systemd.UnitState) { u.NRestarts++ }},
		{"new process", func(u *systemd.UnitState) { u.InvocationID = "someone-restarted-it" }},
		{"stopped", func(u *systemd.UnitState) { u.ActiveState, u.SubState = "inactive", "dead" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t, 3)
				deps, tm := gateDeps(w)
				rec := parkAtGate(t, w, deps, tm)
				w.f.Set(unitOf("8081"), c.change)
				rec.Pauses[0].Promotion = &release.Promotion{By: "alice", At: time.Now()}
				out, err := rollout.Resume(t.Context(), rec, w.spec(""), deps)
				if !errors.Is(err, rollout.ErrPauseBreach) || out.Result != release.ResultRolledBack {
					t.Fatalf("Resume = %v, result %s", err, out.Result)
				}
				w.assertSettled(all(w, "v1"))
				w.assertUntouched("8082", "8083")
				if out.Pauses[0].Result != release.PauseFailed || len(tm.disarmed) != 1 {
					t.Errorf("pause %+v, disarmed %v", out.Pauses[0], tm.disarmed)
				}
			})
		})
	}
}

// `sysroll pause` while batch 1 runs: batch 1 finishes, the rollout parks
// at a manual pause, and a resume continues it.
func TestManualPauseRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		rq := &requests{}
		deps := w.deps()
		deps.Requests = rq
		s := w.spec("v2") // batch 1
		time.AfterFunc(3*time.Second, func() { rq.put(release.Request{Action: release.RequestPause, By: "bob", Reason: "look first"}) })
		rec, err := rollout.Run(t.Context(), s, deps)
		if !errors.Is(err, rollout.ErrPaused) || rec.Result != release.ResultPaused {
			t.Fatalf("Run = %v, result %s", err, rec.Result)
		}
		w.assertSettled(map[string]string{"8081": "v2", "8082": "v1", "8083": "v1"})
		p := rec.Pauses[0]
		if p.Kind != release.PauseManual || p.After != 0 || p.By != "bob" || p.Reason != "look first" || p.Result != release.PauseWaiting {
			t.Errorf("pause %+v", p)
		}
		if rq.req != nil {
			t.Errorf("request not taken: %+v", rq.req)
		}
		out, err := rollout.Resume(t.Context(), rec, w.spec(""), deps)
		if err != nil || out.Result != release.ResultSucceeded || out.Pauses[0].Result != release.PauseResumed {
			t.Fatalf("Resume = %v, result %s, pause %+v", err, out.Result, out.Pauses[0])
		}
		w.assertSettled(all(w, "v2"))
	})
}

// `sysroll abort` during a timed pause: the canary goes back at once.
func TestAbortRequestDuringTimedPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		rq := &requests{}
		deps := w.deps()
		deps.Requests = rq
		time.AfterFunc(12*time.Second, func() { rq.put(release.Request{Action: release.RequestAbort, By: "carol"}) })
		start := time.Now()
		rec, err := rollout.Run(t.Context(), pauseSpec(w, 10*time.Minute), deps)
		if !errors.Is(err, rollout.ErrAborted) || rec.Result != release.ResultRolledBack {
			t.Fatalf("Run = %v, result %s", err, rec.Result)
		}
		if took := time.Since(start); took > 30*time.Second {
			t.Errorf("took %s: the abort waited for the pause", took)
		}
		w.assertSettled(all(w, "v1"))
		w.assertUntouched("8082", "8083")
		if rec.Pauses[0].Result != release.PauseAborted || !rec.Undo {
			t.Errorf("pause %+v undo %v", rec.Pauses[0], rec.Undo)
		}
	})
}

// A promote request passes the timed pause it names, at once; one naming
// another pause is ignored.
func TestPromoteRequestEndsTimedPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		rq := &requests{}
		deps := w.deps()
		deps.Requests = rq
		time.AfterFunc(9*time.Second, func() { rq.put(release.Request{Action: release.RequestPromote, Pause: 3, By: "dan"}) })
		time.AfterFunc(12*time.Second, func() { rq.put(release.Request{Action: release.RequestPromote, Pause: 0, By: "dan"}) })
		start := time.Now()
		rec, err := rollout.Run(t.Context(), pauseSpec(w, 10*time.Minute), deps)
		if err != nil || rec.Result != release.ResultSucceeded {
			t.Fatalf("Run = %v, result %s", err, rec.Result)
		}
		if took := time.Since(start); took > 25*time.Second {
			t.Errorf("took %s, want the pause passed at 12s", took)
		}
		if p := rec.Pauses[0]; p.Result != release.PausePromoted || p.Promotion == nil || p.Promotion.By != "dan" {
			t.Errorf("pause %+v", p)
		}
		w.assertSettled(all(w, "v2"))
	})
}

// CheckPaused, what a waiting pause's timer runs: nothing while the canary
// is the process the pause recorded; its batch fails once it is not.
func TestCheckPaused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		deps, tm := gateDeps(w)
		rec := parkAtGate(t, w, deps, tm)
		before := len(w.restarts())
		out, acted, err := rollout.CheckPaused(t.Context(), rec, w.spec(""), deps)
		if err != nil || acted || out.Result != release.ResultPaused || len(w.restarts()) != before {
			t.Fatalf("CheckPaused of a healthy canary = acted %v, %v, result %s", acted, err, out.Result)
		}
		w.f.Set(unitOf("8081"), func(u *systemd.UnitState) { u.NRestarts++ })
		out, acted, err = rollout.CheckPaused(t.Context(), rec, w.spec(""), deps)
		if !acted || !errors.Is(err, rollout.ErrPauseBreach) || out.Result != release.ResultRolledBack || out.Pauses[0].Result != release.PauseFailed {
			t.Fatalf("CheckPaused of a restarted canary = acted %v, %v, result %s", acted, err, out.Result)
		}
		w.assertSettled(all(w, "v1"))
		w.assertUntouched("8082", "8083")
	})
}

// The time a rollout waits at a gate does not count against the progress
// deadline: a promote an hour later still completes (14s of active time
// against 20s).
func TestGateNotCountedAgainstDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		s := gateSpec(w)
		s.Strategy.ProgressDeadline = 20 * time.Second
		rec, err := rollout.Run(t.Context(), s, w.deps())
		if !errors.Is(err, rollout.ErrPaused) {
			t.Fatalf("Run = %v", err)
		}
		time.Sleep(time.Hour)
		rec.Pauses[0].Promotion = &release.Promotion{By: "alice", At: time.Now()}
		spec := w.spec("")
		spec.Strategy.ProgressDeadline = 20 * time.Second
		out, err := rollout.Resume(t.Context(), rec, spec, w.deps())
		if err != nil || out.Result != release.ResultSucceeded {
			t.Fatalf("Resume an hour later = %v, result %s", err, out.Result)
		}
	})
}
