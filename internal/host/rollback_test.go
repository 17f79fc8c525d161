package host

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/systemd/systemdtest"
)

// A rollback (v2 → v1) stopped after its first instance, then `rollback`
// again: the second completes the first, toward v1, instead of undoing it
// back onto v2, the release being rolled away from. Stopped by a signal
// (recorded interrupted) or killed (recorded running by a process that is
// gone), the rule is the same.
func TestInterruptedRollbackIsCompletedNotInverted(t *testing.T) {
	for _, killed := range []bool{false, true} {
		t.Run(map[bool]string{false: "interrupted", true: "killed"}[killed], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t)
				w.install("shop", three)
				if _, err := w.h.Deploy(t.Context(), DeployOptions{Service: "shop", Artifact: w.artifact("v2"), Version: "v2"}, nil); err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithCancel(t.Context())
				stop := rollout.ProgressFunc(func(e rollout.Event) {
					if e.Type == rollout.EventInstanceDone {
						cancel()
					}
				})
				res, err := w.h.Rollback(ctx, RollbackOptions{Service: "shop"}, stop)
				cancel()
				if !errors.Is(err, ErrInterrupted) || res.Record.Kind != release.KindRollback || res.Record.To != "v1" {
					t.Fatalf("first rollback: %v %+v", err, res.Record)
				}
				if killed {
					// What a kill -9 leaves: the record still running, its
					// process gone.
					rec := res.Record
					rec.Result, rec.PID, rec.Reason = release.ResultRunning, 1<<22+1, ""
					if err := w.store("shop").SaveRecord(rec); err != nil {
						t.Fatal(err)
					}
				}
				if cur := w.current("shop"); cur["8081"] != "v1" || cur["8082"] != "v2" {
					t.Fatalf("after the stopped rollback: %v", cur)
				}
				_, err = w.h.Rollback(t.Context(), RollbackOptions{Service: "shop", To: "v2"}, nil)
				wantInput(t, err, "complete it first")

				res, err = w.h.Rollback(t.Context(), RollbackOptions{Service: "shop"}, nil)
				if err != nil {
					t.Fatalf("second rollback: %v", err)
				}
				if res.Record.Result != release.ResultSucceeded || res.Record.To != "v1" {
					t.Errorf("second rollback: %s to %s, want the first one completed to v1", res.Record.Result, res.Record.To)
				}
				if cur := w.current("shop"); cur["8081"] != "v1" || cur["8082"] != "v1" || cur["8083"] != "v1" {
					t.Errorf("after the second rollback: %v, want every instance on v1", cur)
				}
			})
		})
	}
}

// A rollback that ended without reaching its target (here halted by a
// failed instance) is retried toward that target, not past it.
func TestFailedRollbackIsRetriedTowardItsTarget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.install("shop", three, "rollout:", "  failure_action: halt")
		ctx := t.Context()
		for _, v := range []string{"v2", "v3"} {
			if _, err := w.h.Deploy(ctx, DeployOptions{Service: "shop", Artifact: w.artifact(v), Version: v}, nil); err != nil {
				t.Fatal(err)
			}
		}
		// The rollback v3 → v2 halts on its second instance.
		failing := true
		w.fake.OnRestart("shop@8082.service", func(u *systemd.UnitState) systemd.JobResult {
			if failing {
				return systemdtest.FailJob(u)
			}
			return systemd.JobDone
		})
		res, err := w.h.Rollback(ctx, RollbackOptions{Service: "shop"}, nil)
		if err == nil || res.Record.Result != release.ResultHalted || res.Record.To != "v2" {
			t.Fatalf("first rollback: %v %+v", err, res.Record)
		}
		// The operator brings 8082 back up (on v2, where the halt left it).
		failing = false
		if err := w.fake.Restart(ctx, "shop@8082.service"); err != nil {
			t.Fatal(err)
		}
		res, err = w.h.Rollback(ctx, RollbackOptions{Service: "shop"}, nil)
		if err != nil || res.Record.To != "v2" || res.Record.Result != release.ResultSucceeded {
			t.Fatalf("second rollback: %v, to %s, want v2", err, res.Record.To)
		}
		if cur := w.current("shop"); cur["8081"] != "v2" || cur["8082"] != "v2" || cur["8083"] != "v2" {
			t.Errorf("after the retried rollback: %v", cur)
		}
	})
}
