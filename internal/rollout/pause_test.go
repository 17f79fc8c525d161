package rollout_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/systemd"
)

// pauseSpec is [batch 1, pause p, batch 100%]. On 3 instances: 8081 steps
// 0-7s (job 2s, healthy_for 5s), the pause runs 7s-(7s+p), then 8082 and
// 8083 step together.
func pauseSpec(w *world, p time.Duration) rollout.Spec {
	s := w.spec("v2")
	s.Strategy.Steps = []config.RolloutStep{{Batch: config.Step{N: 1}}, {Pause: p}, {Batch: config.Step{Percent: 100}}}
	return s
}

// eventAt is the time of the first event of type t.
func (w *world) eventAt(t rollout.EventType) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range w.events {
		if e.Type == t {
			return e.Time, true
		}
	}
	return time.Time{}, false
}

func TestPausePasses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		start := time.Now()
		rec, err := rollout.Run(t.Context(), pauseSpec(w, 30*time.Second), w.deps())
		if err != nil || rec.Result != release.ResultSucceeded {
			t.Fatalf("Run = %v, result %s", err, rec.Result)
		}
		w.assertSettled(all(w, "v2"))
		if len(rec.Pauses) != 1 || rec.Pauses[0].Result != release.PausePassed || rec.Pauses[0].Waited != 30*time.Second {
			t.Errorf("pauses %+v", rec.Pauses)
		}
		from, ok1 := w.eventAt(rollout.EventPause)
		to, ok2 := w.eventAt(rollout.EventPauseEnd)
		if !ok1 || !ok2 || to.Sub(from) != 30*time.Second {
			t.Errorf("pause events %v → %v (%v, %v), want 30s apart", from, to, ok1, ok2)
		}
		// The second batch is drained only after the pause.
		w.mu.Lock()
		for _, e := range w.events {
			if e.Type == rollout.EventPhase && e.Instance != "8081" && e.Time.Before(to) {
				t.Errorf("%s entered %s at %v, before the pause ended (%v)", e.Instance, e.Phase, e.Time, to)
			}
		}
		w.mu.Unlock()
		if took := time.Since(start); took < 44*time.Second {
			t.Errorf("took %s, want at least 7s + 30s + 7s", took)
		}
		types := w.eventTypes()
		if i, j := slices.Index(types, rollout.EventPause), slices.Index(types, rollout.EventBatchStart); i < 0 || j < 0 || i < j {
			t.Errorf("events %v", types)
		}
	})
}

// assertPauseFailed checks a canary breach during the pause: 8081 rolled
// back, the batch after the pause never touched, the pause recorded failed.
func assertPauseFailed(t *testing.T, w *world, rec *release.Record, err error, why string) {
	t.Helper()
	var fe *rollout.FailedError
	if !errors.As(err, &fe) || fe.Instance != "8081" || !errors.Is(err, rollout.ErrPauseBreach) || rec.Result != release.ResultRolledBack {
		t.Fatalf("Run = %v, result %s", err, rec.Result)
	}
	w.assertSettled(all(w, "v1"))
	w.assertUntouched("8082", "8083")
	p := rec.Pauses[0]
	if p.Result != release.PauseFailed || !strings.Contains(p.Message, why) {
		t.Errorf("pause %+v, want failed with %q", p, why)
	}
	if phases(rec)["8081"] != release.PhaseReverted {
		t.Errorf("phases %v", phases(rec))
	}
}

func TestPauseCanaryCrashes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		// 10s: the canary crashes and systemd restarts it (Restart=).
		w.f.SetAfter(10*time.Second, unitOf("8081"), func(u *systemd.UnitState) {
			u.NRestarts++
			u.InvocationID = "after-crash"
		})
		start := time.Now()
		rec, err := rollout.Run(t.Context(), pauseSpec(w, 60*time.Second), w.deps())
		assertPauseFailed(t, w, rec, err, "its process changed")
		if ended := rec.Pauses[0].Ended.Sub(start); ended > 12*time.Second {
			t.Errorf("breach seen %s after start, want within a health interval of the crash at 10s", ended)
		}
	})
}

func TestPauseProbeFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		time.AfterFunc(10*time.Second, func() { w.badOn("8081", "v2") })
		rec, err := rollout.Run(t.Context(), pauseSpec(w, 60*time.Second), w.deps())
		assertPauseFailed(t, w, rec, err, "probe check(s) in a row")
	})
}

func TestPauseHaltLeavesCanary(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		time.AfterFunc(10*time.Second, func() { w.badOn("8081", "v2") })
		s := pauseSpec(w, 60*time.Second)
		s.Strategy.FailureAction = config.ActionHalt
		s.Strategy.FailureBudget = 1 // a breach stops the rollout whatever the budget
		rec, err := rollout.Run(t.Context(), s, w.deps())
		if !errors.Is(err, rollout.ErrPauseBreach) || rec.Result != release.ResultHalted {
			t.Fatalf("Run = %v, result %s", err, rec.Result)
		}
		w.assertUntouched("8082", "8083")
	})
}

func TestPauseInterruptedThenResumed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(17*time.Second, cancel) // 10s into the 30s pause
		rec, err := rollout.Run(ctx, pauseSpec(w, 30*time.Second), w.deps())
		if !errors.Is(err, context.Canceled) || rec.Result != release.ResultInterrupted {
			t.Fatalf("Run = %v, result %s", err, rec.Result)
		}
		p := rec.Pauses[0]
		if p.Result != release.PauseInterrupted || p.Waited != 10*time.Second || !strings.Contains(rec.Reason, "during the 30s pause after batch 1, 20s of it left") {
			t.Errorf("pause %+v, reason %q", p, rec.Reason)
		}
		w.assertSettled(map[string]string{"8081": "v2", "8082": "v1", "8083": "v1"})
		w.assertUntouched("8082", "8083")

		time.Sleep(time.Hour) // time nobody watched does not count
		start := time.Now()
		out, err := rollout.Resume(t.Context(), rec, w.spec(""), w.deps())
		if err != nil || out.Result != release.ResultSucceeded {
			t.Fatalf("Resume = %v, result %s", err, out.Result)
		}
		if took := time.Since(start); took < 27*time.Second || took > 30*time.Second {
			t.Errorf("resume took %s, want the 20s left of the pause + 7s", took)
		}
		if got := w.restarts(); !slices.Equal(got, []string{"8081", "8082", "8083"}) && !slices.Equal(got, []string{"8081", "8083", "8082"}) {
			t.Errorf("restarts %v: the canary must not restart again", got)
		}
		if q := out.Pauses[0]; q.Result != release.PausePassed || q.Waited != 30*time.Second {
			t.Errorf("pause after resume %+v", q)
		}
		w.assertSettled(all(w, "v2"))
	})
}

// A kill -9 during the pause leaves it running in the record; the canary
// restarting while no process watched fails the batch on resume.
func TestPauseResumeCatchesUnwatchedRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(17*time.Second, cancel)
		rec, _ := rollout.Run(ctx, pauseSpec(w, 30*time.Second), w.deps())
		rec.Result, rec.Pauses[0].Result = release.ResultRunning, release.PauseRunning // as a kill -9 leaves it
		w.f.Set(unitOf("8081"), func(u *systemd.UnitState) { u.NRestarts++ })
		out, err := rollout.Resume(t.Context(), rec, w.spec(""), w.deps())
		if !errors.Is(err, rollout.ErrPauseBreach) || out.Result != release.ResultRolledBack {
			t.Fatalf("Resume = %v, result %s", err, out.Result)
		}
		w.assertSettled(all(w, "v1"))
		w.assertUntouched("8082", "8083")
	})
}

func TestPauseNotCountedAgainstDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		s := pauseSpec(w, time.Minute)
		s.Strategy.ProgressDeadline = 20 * time.Second // 14s of active time
		rec, err := rollout.Run(t.Context(), s, w.deps())
		if err != nil || rec.Result != release.ResultSucceeded {
			t.Fatalf("Run = %v, result %s", err, rec.Result)
		}
		w.assertSettled(all(w, "v2"))
	})
	// The deadline still bounds active time.
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		s := pauseSpec(w, time.Minute)
		s.Strategy.ProgressDeadline = 10 * time.Second
		rec, err := rollout.Run(t.Context(), s, w.deps())
		if !errors.Is(err, rollout.ErrProgressDeadline) {
			t.Fatalf("Run = %v, result %s", err, rec.Result)
		}
	})
}

func TestRollbackSkipsPauses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		s := pauseSpec(w, time.Hour)
		s.Kind = release.KindRollback
		rec, err := rollout.Run(t.Context(), s, w.deps())
		if err != nil || rec.Result != release.ResultSucceeded || len(rec.Pauses) != 0 {
			t.Fatalf("Run = %v, result %s, pauses %+v", err, rec.Result, rec.Pauses)
		}
	})
}

// A canary of an earlier batch breaching a later pause fails that later
// batch: both the canary and that batch are reverted, canary first; the
// batch after the pause is never touched.
func TestPauseEarlierCanaryBreaches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 4)
		s := w.spec("v2")
		s.Strategy.Steps = []config.RolloutStep{{Batch: config.Step{N: 1}}, {Pause: 10 * time.Second},
			{Batch: config.Step{N: 1}}, {Pause: 30 * time.Second}, {Batch: config.Step{Percent: 100}}}
		w.f.SetAfter(35*time.Second, unitOf("8081"), func(u *systemd.UnitState) { u.NRestarts++ })
		rec, err := rollout.Run(t.Context(), s, w.deps())
		if !errors.Is(err, rollout.ErrPauseBreach) || rec.Result != release.ResultRolledBack {
			t.Fatalf("Run = %v, result %s", err, rec.Result)
		}
		if p := rec.Pauses; len(p) != 2 || p[0].Result != release.PausePassed || p[1].Result != release.PauseFailed || !strings.Contains(p[1].Message, "8081 restarted") {
			t.Errorf("pauses %+v", p)
		}
		w.assertSettled(map[string]string{"8081": "v1", "8082": "v1", "8083": "v1", "8084": "v1"})
		w.assertUntouched("8083", "8084")
		if got := w.restarts(); !slices.Equal(got, []string{"8081", "8082", "8081", "8082"}) {
			t.Errorf("restarts %v, want the canary reverted first", got)
		}
	})
}
