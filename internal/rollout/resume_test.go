package rollout_test

import (
	"errors"
	"reflect"
	"testing"
	"testing/synctest"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/systemd"
)

// killed builds the world and record of a rollout of 3 instances to v2,
// one per batch, killed while 8082 was in phase p: 8081 done, 8083 pending.
// restarted says whether 8082's restart had happened.
func killed(t *testing.T, p release.Phase, restarted bool) (*world, *release.Record) {
	w := newWorld(t, 3)
	rec := &release.Record{ID: "r1", Service: "hello", Kind: release.KindDeploy, From: "v1", To: "v2",
		Result: release.ResultRunning, Batches: [][]string{{"8081"}, {"8082"}, {"8083"}}}
	for i, in := range w.inst {
		u, _ := w.f.State(unitOf(in))
		rec.Instances = append(rec.Instances, release.Instance{Name: in, From: "v1", To: "v2",
			Phase: release.PhasePending, Batch: i, InvocationBefore: u.InvocationID})
	}
	move := func(in string) {
		w.rel.cur[in], w.runs[in] = "v2", "v2"
		w.f.Set(unitOf(in), func(u *systemd.UnitState) { u.InvocationID = "after-" + in })
	}
	move("8081")
	rec.Instances[0].Phase = release.PhaseDone
	rec.Instances[1].Phase = p
	if p != release.PhaseDrain {
		w.rel.cur["8082"] = "v2"
	}
	if restarted {
		move("8082")
	}
	w.dr.drained["8082"] = true
	return w, rec
}

func TestResume(t *testing.T) {
	tests := []struct {
		name      string
		phase     release.Phase
		restarted bool
		restarts  []string
	}{
		{"killed in the gate", release.PhaseGate, true, []string{"8083"}},
		{"killed before the restart job ran", release.PhaseRestart, false, []string{"8082", "8083"}},
		{"killed after switch", release.PhaseSwitch, false, []string{"8082", "8083"}},
		{"killed while draining", release.PhaseDrain, false, []string{"8082", "8083"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w, rec := killed(t, tt.phase, tt.restarted)
				out, err := rollout.Resume(t.Context(), rec, w.spec(""), w.deps())
				if err != nil {
					t.Fatal(err)
				}
				if got := w.restarts(); !reflect.DeepEqual(got, tt.restarts) {
					t.Errorf("restarts %v, want %v", got, tt.restarts)
				}
				if out.Result != release.ResultSucceeded || out.ID != "r1" {
					t.Errorf("record %s %s", out.ID, out.Result)
				}
				w.assertSettled(all(w, "v2"))
				if rec.Result != release.ResultRunning {
					t.Error("Resume changed the caller's record")
				}
			})
		})
	}
}

func TestResumeFailingRollout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, rec := killed(t, release.PhaseFailed, true)
		w.badOn("8082", "v2")
		rec.Instances[1].Error = "instance 8082 failed at gate: not ready"
		out, err := rollout.Resume(t.Context(), rec, w.spec(""), w.deps())
		var fe *rollout.FailedError
		if !errors.As(err, &fe) || fe.Instance != "8082" || out.Result != release.ResultRolledBack {
			t.Fatalf("Resume = %v, result %s", err, out.Result)
		}
		w.assertSettled(map[string]string{"8081": "v2", "8082": "v1", "8083": "v1"})
		w.assertUntouched("8083")
	})
}

func TestResumeRefusesFinished(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, rec := killed(t, release.PhaseGate, true)
		rec.Result = release.ResultSucceeded
		if _, err := rollout.Resume(t.Context(), rec, w.spec(""), w.deps()); !errors.Is(err, rollout.ErrNotResumable) {
			t.Errorf("Resume = %v", err)
		}
		rec.Result, rec.Service = release.ResultInterrupted, "other"
		if _, err := rollout.Resume(t.Context(), rec, w.spec(""), w.deps()); !errors.Is(err, rollout.ErrNotResumable) {
			t.Errorf("Resume of another service's record = %v", err)
		}
	})
}

func TestRollbackRecord(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, rec := killed(t, release.PhaseGate, true)
		out, err := rollout.RollbackRecord(t.Context(), rec, w.spec(""), w.deps())
		if err != nil {
			t.Fatal(err)
		}
		// Newest batch first.
		if got := w.restarts(); !reflect.DeepEqual(got, []string{"8082", "8081"}) {
			t.Errorf("restarts %v", got)
		}
		if out.Result != release.ResultRolledBack {
			t.Errorf("result %s", out.Result)
		}
		w.assertSettled(all(w, "v1"))
		w.assertUntouched("8083")
		// Again: nothing left to do.
		out2, err := rollout.RollbackRecord(t.Context(), out, w.spec(""), w.deps())
		if err != nil || len(w.restarts()) != 2 || out2.Result != release.ResultRolledBack {
			t.Errorf("second rollback: %v, restarts %v", err, w.restarts())
		}
	})
}
