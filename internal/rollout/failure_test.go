package rollout_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sysroll/sysroll/internal/config"

	"github.com/sysroll/sysroll/internal/health"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/systemd/systemdtest"
)

// failingRelease makes inst's restart job fail while it points at version.
func failingRelease(w *world, inst, version string) {
	w.script(inst, func(u *systemd.UnitState) systemd.JobResult {
		if v, _ := w.rel.Current(inst); v == version {
			return systemdtest.FailJob(u)
		}
		return systemd.JobDone
	})
}

func TestRunJobFailedRollsBackThatBatchOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 4)
		failingRelease(w, "8082", "v2")
		rec, err := rollout.Run(t.Context(), w.spec("v2"), w.deps())
		var fe *rollout.FailedError
		var je *systemd.JobError
		if !errors.As(err, &fe) || fe.Instance != "8082" || fe.Phase != release.PhaseRestart ||
			!errors.As(err, &je) || je.Result != systemd.JobFailed {
			t.Fatalf("Run = %v, want 8082 failed at restart with a job error", err)
		}
		if len(fe.Logs) == 0 {
			t.Error("failure carries no journal lines")
		}
		if rec.Result != release.ResultRolledBack {
			t.Errorf("result %s, want rolled-back", rec.Result)
		}
		w.assertSettled(map[string]string{"8081": "v2", "8082": "v1", "8083": "v1", "8084": "v1"})
		w.assertUntouched("8083", "8084")
		if got := phases(rec); got["8081"] != release.PhaseDone || got["8082"] != release.PhaseReverted ||
			got["8083"] != release.PhasePending {
			t.Errorf("phases %v", got)
		}
		if !strings.Contains(rec.Instances[1].Error, "job failed") {
			t.Errorf("8082's recorded error: %q", rec.Instances[1].Error)
		}
	})
}

func TestRunNeverReady(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		w.badOn("8082", "v2")
		start := time.Now()
		rec, err := rollout.Run(t.Context(), w.spec("v2"), w.deps())
		var fe *rollout.FailedError
		if !errors.Is(err, health.ErrNotReady) || !errors.As(err, &fe) || fe.Phase != release.PhaseGate {
			t.Fatalf("Run = %v, want not ready at gate", err)
		}
		if !strings.Contains(fe.Health, "503 Service Unavailable") || !strings.Contains(err.Error(), "v2 broken") {
			t.Errorf("the failure should show the probe: health %q, err %q", fe.Health, err)
		}
		// 8081: 7s; 8082: 2s job + 30s deadline; revert: 2s + 5s.
		if took := time.Since(start); took != 46*time.Second {
			t.Errorf("took %s, want 46s", took)
		}
		if rec.Result != release.ResultRolledBack {
			t.Errorf("result %s", rec.Result)
		}
		w.assertSettled(map[string]string{"8081": "v2", "8082": "v1", "8083": "v1"})
		w.assertUntouched("8083")
	})
}

func TestRunCrashInsideWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		w.script("8082", func(u *systemd.UnitState) systemd.JobResult {
			if v, _ := w.rel.Current("8082"); v == "v2" {
				// Ready and healthy at first; dies 3.5s later, Restart= brings it back.
				w.f.SetAfter(3500*time.Millisecond, u.Name, systemdtest.AutoRestarted)
			}
			return systemd.JobDone
		})
		rec, err := rollout.Run(t.Context(), w.spec("v2"), w.deps())
		if !errors.Is(err, health.ErrCrashed) || rec.Result != release.ResultRolledBack {
			t.Fatalf("Run = %v, want crashed", err)
		}
		found := false
		for _, e := range w.events {
			found = found || e.Type == rollout.EventInstanceFailed
			if e.Type == rollout.EventInstanceFailed && e.Elapsed != 6*time.Second {
				// 2s job, crash 3.5s later, noticed at the next check.
				t.Errorf("crash noticed %s into the step, want 6s: at once, not at the deadline", e.Elapsed)
			}
		}
		if !found {
			t.Error("no instance-failed event")
		}
		w.assertSettled(map[string]string{"8081": "v2", "8082": "v1", "8083": "v1"})
		w.assertUntouched("8083")
	})
}

func TestRunFailureBudget(t *testing.T) {
	t.Run("within", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			w := newWorld(t, 4)
			w.badOn("8082", "v2")
			spec := w.spec("v2")
			spec.Strategy.FailureBudget = 1
			rec, err := rollout.Run(t.Context(), spec, w.deps())
			if err != nil {
				t.Fatal(err)
			}
			if rec.Result != release.ResultSucceeded || !strings.Contains(rec.Reason, "8082") {
				t.Errorf("result %s, reason %q", rec.Result, rec.Reason)
			}
			w.assertSettled(map[string]string{"8081": "v2", "8082": "v1", "8083": "v2", "8084": "v2"})
		})
	})
	t.Run("exceeded", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			w := newWorld(t, 5)
			w.badOn("8082", "v2")
			w.badOn("8084", "v2")
			spec := w.spec("v2")
			spec.Strategy.FailureBudget = 1
			rec, err := rollout.Run(t.Context(), spec, w.deps())
			var fe *rollout.FailedError
			if !errors.As(err, &fe) || fe.Instance != "8084" {
				t.Fatalf("Run = %v, want 8084's failure", err)
			}
			if rec.Result != release.ResultRolledBack {
				t.Errorf("result %s", rec.Result)
			}
			w.assertSettled(map[string]string{"8081": "v2", "8082": "v1", "8083": "v2", "8084": "v1", "8085": "v1"})
			w.assertUntouched("8085")
		})
	})
}

func TestRunRollbackAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 5)
		w.badOn("8083", "v2")
		spec := w.spec("v2")
		spec.Strategy.FailureAction = config.ActionRollbackAll
		rec, err := rollout.Run(t.Context(), spec, w.deps())
		if !errors.Is(err, health.ErrNotReady) || rec.Result != release.ResultRolledBack {
			t.Fatalf("Run = %v, result %s", err, rec.Result)
		}
		// Forward 8081, 8082, 8083; then back: 8083 (failed) first, then 8082, then 8081.
		if got, want := w.restarts(), []string{"8081", "8082", "8083", "8083", "8082", "8081"}; !reflect.DeepEqual(got, want) {
			t.Errorf("restarts %v, want %v", got, want)
		}
		w.assertSettled(all(w, "v1"))
		w.assertUntouched("8084", "8085")
		for _, n := range []string{"8081", "8082", "8083"} {
			if p := phases(rec)[n]; p != release.PhaseReverted {
				t.Errorf("%s phase %s", n, p)
			}
		}
	})
}

func TestRunHalt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 4)
		w.badOn("8082", "v2")
		spec := w.spec("v2")
		spec.Strategy.FailureAction = config.ActionHalt
		rec, err := rollout.Run(t.Context(), spec, w.deps())
		if !errors.Is(err, health.ErrNotReady) || rec.Result != release.ResultHalted {
			t.Fatalf("Run = %v, result %s", err, rec.Result)
		}
		// 8082 stays on v2 for inspection, running, and back in traffic.
		w.assertSettled(map[string]string{"8081": "v2", "8082": "v2", "8083": "v1", "8084": "v1"})
		w.assertUntouched("8083", "8084")
		if p := phases(rec)["8082"]; p != release.PhaseFailed {
			t.Errorf("8082 phase %s", p)
		}
	})
}

func TestRunRevertFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		w.badOn("8082", "v2")
		// Once 8082 has left v1, v1 does not come back either.
		time.AfterFunc(8*time.Second, func() { w.badOn("8082", "v1") })
		rec, err := rollout.Run(t.Context(), w.spec("v2"), w.deps())
		if rec.Result != release.ResultFailed || !strings.Contains(err.Error(), "could not revert") {
			t.Fatalf("Run = %v, result %s", err, rec.Result)
		}
		if p := phases(rec)["8082"]; p != release.PhaseFailed {
			t.Errorf("8082 phase %s", p)
		}
		if d := w.dr.drainedNow(); len(d) > 0 {
			t.Errorf("left drained: %v", d)
		}
		w.assertUntouched("8083")
	})
}

func TestRunSwitchFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		w.rel.failOn = "8082"
		rec, err := rollout.Run(t.Context(), w.spec("v2"), w.deps())
		var fe *rollout.FailedError
		if !errors.As(err, &fe) || fe.Phase != release.PhaseSwitch || rec.Result != release.ResultRolledBack {
			t.Fatalf("Run = %v, result %s", err, rec.Result)
		}
		// Never restarted: the revert only checks it and returns it to traffic.
		if slices.Contains(w.restarts(), "8082") {
			t.Error("8082 was restarted though its switch failed")
		}
		w.assertSettled(map[string]string{"8081": "v2", "8082": "v1", "8083": "v1"})
	})
}

func TestRunNewInstance(t *testing.T) {
	newcomer := func(w *world) {
		w.rel.cur["8083"], w.runs["8083"] = "", ""
		w.f.Set(unitOf("8083"), systemdtest.Stopped)
	}
	t.Run("deployed", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			w := newWorld(t, 3)
			newcomer(w)
			rec, err := rollout.Run(t.Context(), w.spec("v2"), w.deps())
			if err != nil {
				t.Fatalf("Run = %v: a new instance is no capacity for the preflight to protect", err)
			}
			if rec.Instances[2].From != "" || rec.From != "v1" {
				t.Errorf("record from %q / %q", rec.From, rec.Instances[2].From)
			}
			w.assertSettled(all(w, "v2"))
		})
	})
	t.Run("failing", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			w := newWorld(t, 3)
			newcomer(w)
			w.badOn("8083", "v2")
			rec, err := rollout.Run(t.Context(), w.spec("v2"), w.deps())
			if rec.Result != release.ResultFailed || err == nil || !strings.Contains(err.Error(), "nothing to revert to") {
				t.Fatalf("Run = %v, result %s", err, rec.Result)
			}
			if d := w.dr.drainedNow(); len(d) > 0 {
				t.Errorf("left drained: %v", d)
			}
		})
	})
}
