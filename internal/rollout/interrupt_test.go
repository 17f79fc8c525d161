package rollout_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sysroll/sysroll/internal/config"

	"github.com/sysroll/sysroll/internal/health"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
)

func TestRunInterrupted(t *testing.T) {
	// 8081: 0-7s, 8082: 7-14s (job 7-9s, gate 9-14s).
	for _, at := range []time.Duration{8 * time.Second, 10 * time.Second} {
		t.Run("at "+at.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t, 4)
				ctx, cancel := context.WithCancel(t.Context())
				time.AfterFunc(at, cancel)
				start := time.Now()
				rec, err := rollout.Run(ctx, w.spec("v2"), w.deps())
				if !errors.Is(err, context.Canceled) || rec.Result != release.ResultInterrupted {
					t.Fatalf("Run = %v, result %s", err, rec.Result)
				}
				// 8082's restart was under way: it finishes its step.
				if took := time.Since(start); took != 14*time.Second {
					t.Errorf("returned after %s, want 14s (8082's step finished)", took)
				}
				w.assertSettled(map[string]string{"8081": "v2", "8082": "v2", "8083": "v1", "8084": "v1"})
				w.assertUntouched("8083", "8084")
				if got := phases(rec); got["8082"] != release.PhaseDone || got["8083"] != release.PhasePending {
					t.Errorf("phases %v", got)
				}
				if w.jr.last().Result != release.ResultInterrupted {
					t.Error("journal does not say interrupted")
				}
			})
		})
	}
}

func TestRunInterruptedWhileDraining(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		w.dr.block = true
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(time.Second, cancel)
		rec, err := rollout.Run(ctx, w.spec("v2"), w.deps())
		if !errors.Is(err, context.Canceled) || rec.Result != release.ResultInterrupted {
			t.Fatalf("Run = %v, result %s", err, rec.Result)
		}
		if len(w.restarts()) != 0 || len(w.rel.log()) != 0 {
			t.Errorf("restarts %v, switches %v: nothing should have gone past the drain", w.restarts(), w.rel.log())
		}
		if got := w.dr.log(); !slices.Equal(got, []string{"drain 8081", "undrain 8081"}) {
			t.Errorf("drainer calls %v", got)
		}
		w.assertSettled(all(w, "v1"))
		if p := phases(rec)["8081"]; p != release.PhasePending {
			t.Errorf("8081 phase %s, want pending (undone)", p)
		}
	})
}

func TestRunInterruptedThenFailing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 4)
		w.badOn("8082", "v2")
		spec := w.spec("v2")
		spec.Strategy.Batch = config.Step{N: 2}
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(3*time.Second, cancel)
		rec, err := rollout.Run(ctx, spec, w.deps())
		// The failure is handled as usual, and the interruption reported too.
		if !errors.Is(err, health.ErrNotReady) || !errors.Is(err, context.Canceled) || rec.Result != release.ResultRolledBack {
			t.Fatalf("Run = %v, result %s", err, rec.Result)
		}
		w.assertSettled(all(w, "v1"))
		w.assertUntouched("8083", "8084")
	})
}

func TestRunProgressDeadline(t *testing.T) {
	for _, budget := range []int{0, 5} {
		t.Run("budget "+string(rune('0'+budget)), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t, 4)
				spec := w.spec("v2")
				spec.Strategy.ProgressDeadline = 20 * time.Second // batch 3 runs 14s-21s
				spec.Strategy.FailureBudget = budget
				rec, err := rollout.Run(t.Context(), spec, w.deps())
				var fe *rollout.FailedError
				if !errors.Is(err, rollout.ErrProgressDeadline) || !errors.As(err, &fe) || fe.Instance != "8083" {
					t.Fatalf("Run = %v", err)
				}
				if rec.Result != release.ResultRolledBack {
					t.Errorf("result %s", rec.Result)
				}
				w.assertSettled(map[string]string{"8081": "v2", "8082": "v2", "8083": "v1", "8084": "v1"})
				w.assertUntouched("8084")
			})
		})
	}
}
