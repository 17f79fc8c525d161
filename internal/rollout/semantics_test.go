package rollout_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/systemd/systemdtest"
)

// A rollout that halted on a failure (failure_action: halt) left the failed
// instance as it was; resuming it takes the failed step again, whole, and
// goes on, instead of halting once more on the recorded failure.
func TestResumeRetriesTheFailureAHaltLeft(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, rec := killed(t, release.PhaseFailed, true)
		rec.Result, rec.Reason = release.ResultHalted, "8082 failed in batch 2; halting, instances left as they are"
		rec.Instances[1].Error = "instance 8082 failed at gate: not ready"
		w.dr.drained = map[string]bool{} // the halt undrained it
		spec := w.spec("")
		spec.Strategy.FailureAction = config.ActionHalt
		out, err := rollout.Resume(t.Context(), rec, spec, w.deps())
		if err != nil {
			t.Fatalf("Resume = %v", err)
		}
		if out.Result != release.ResultSucceeded {
			t.Errorf("result %s (%s), want succeeded", out.Result, out.Reason)
		}
		if got := w.restarts(); !reflect.DeepEqual(got, []string{"8082", "8083"}) {
			t.Errorf("restarts %v, want the failed 8082 again, then 8083", got)
		}
		w.assertSettled(all(w, "v2"))
	})
}

// The service's instances (spec.Instances) say what a resume or rollback
// acts on: an instance of the record no longer in the service is left
// alone, and kept in the record, marked removed, with the phase it had.
func TestRecordKeepsRemovedInstances(t *testing.T) {
	tests := []struct {
		name    string
		verb    func(w *world, rec *release.Record, spec rollout.Spec) (*release.Record, error)
		removed string
		want    map[string]string
	}{
		{"resume", func(w *world, rec *release.Record, spec rollout.Spec) (*release.Record, error) {
			return rollout.Resume(w.t.Context(), rec, spec, w.deps())
		}, "8083", map[string]string{"8081": "v2", "8082": "v2"}},
		{"rollback", func(w *world, rec *release.Record, spec rollout.Spec) (*release.Record, error) {
			return rollout.RollbackRecord(w.t.Context(), rec, spec, w.deps())
		}, "8081", map[string]string{"8082": "v1", "8083": "v1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w, rec := killed(t, release.PhaseGate, true)
				before := phases(rec)[tt.removed]
				spec := w.spec("")
				spec.Instances = slices.DeleteFunc(slices.Clone(w.inst), func(n string) bool { return n == tt.removed })
				calls := len(w.f.Calls())
				out, err := tt.verb(w, rec, spec)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range w.f.Calls()[calls:] {
					if instOf(c.Unit) == tt.removed {
						t.Errorf("acted on the removed instance: %s %s", c.Op, c.Unit)
					}
				}
				for inst, v := range tt.want {
					if cur, _ := w.rel.Current(inst); cur != v {
						t.Errorf("%s on %s, want %s", inst, cur, v)
					}
				}
				if len(out.Instances) != 3 {
					t.Fatalf("record lists %d instances, want all 3", len(out.Instances))
				}
				for _, in := range out.Instances {
					if in.Removed != (in.Name == tt.removed) {
						t.Errorf("%s removed %v in the record", in.Name, in.Removed)
					}
					if in.Name == tt.removed && in.Phase != before {
						t.Errorf("removed %s in phase %s, want the %s it had", in.Name, in.Phase, before)
					}
				}
				if saved := w.jr.last(); !reflect.DeepEqual(saved, out) {
					t.Errorf("saved record differs from the returned one")
				}
				if !slices.ContainsFunc(w.events, func(e rollout.Event) bool {
					return e.Type == rollout.EventWarning && strings.Contains(e.Message, tt.removed+" is no longer in the service")
				}) {
					t.Errorf("no warning about %s", tt.removed)
				}
			})
		})
	}
}

// A failed batch's revert leaves out an instance removed from the service,
// even when Evaluate lists it (the rest of the failed batch).
func TestRevertSkipsRemovedInstances(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		rec := &release.Record{ID: "r1", Service: "hello", Kind: release.KindDeploy, From: "v1", To: "v2",
			Result: release.ResultRunning, Batches: [][]string{{"8081", "8082"}, {"8083"}}}
		for i, in := range w.inst {
			rec.Instances = append(rec.Instances, release.Instance{Name: in, From: "v1", To: "v2", Phase: release.PhasePending, Batch: min(i/2, 1)})
		}
		// Killed while 8081 failed on v2 and 8082 was done on v2; apply
		// removed 8082 since.
		for _, in := range []string{"8081", "8082"} {
			w.rel.cur[in], w.runs[in] = "v2", "v2"
		}
		rec.Instances[0].Phase, rec.Instances[0].Error = release.PhaseFailed, "instance 8081 failed at gate: not ready"
		rec.Instances[1].Phase = release.PhaseDone
		w.badOn("8081", "v2")
		spec := w.spec("")
		spec.Instances = []string{"8081", "8083"}
		out, err := rollout.Resume(t.Context(), rec, spec, w.deps())
		if err == nil || out.Result != release.ResultRolledBack {
			t.Fatalf("Resume = %v, result %s", err, out.Result)
		}
		if got := w.restarts(); !reflect.DeepEqual(got, []string{"8081"}) {
			t.Errorf("restarts %v, want only 8081 reverted", got)
		}
		if cur, _ := w.rel.Current("8082"); cur != "v2" {
			t.Errorf("the removed 8082 was switched to %s", cur)
		}
	})
}

// RollbackRecord marks the record as an undo before it touches anything;
// a kill -9 during it, then Resume (deploy --resume), completes the undo
// toward each instance's From, whatever failure_action says.
func TestResumeCompletesAnUndo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, rec := killed(t, release.PhaseGate, true)
		if _, err := rollout.RollbackRecord(t.Context(), rec, w.spec(""), w.deps()); err != nil {
			t.Fatal(err)
		}
		if first := w.jr.saves[0]; !first.Undo || first.Result != release.ResultRunning {
			t.Fatalf("first save of the rollback: undo %v, result %s; want the undo recorded before any step", first.Undo, first.Result)
		}
		// What the kill left: 8082 reverted, 8081's revert recorded and
		// not yet carried out.
		var atKill *release.Record
		for _, r := range w.jr.saves {
			if phases(r)["8081"] == release.PhaseRevert {
				atKill = r
				break
			}
		}
		if atKill == nil {
			t.Fatal("no save with 8081 in revert")
		}
		w.rel.cur["8081"], w.runs["8081"] = "v2", "v2"
		calls := len(w.f.Calls())
		spec := w.spec("")
		spec.Strategy.FailureAction = config.ActionHalt
		out, err := rollout.Resume(t.Context(), atKill, spec, w.deps())
		if err != nil {
			t.Fatalf("Resume = %v", err)
		}
		if out.Result != release.ResultRolledBack || !out.Undo {
			t.Errorf("result %s (undo %v), want rolled back", out.Result, out.Undo)
		}
		var again []string
		for _, c := range w.f.Calls()[calls:] {
			if c.Op == systemdtest.OpRestart {
				again = append(again, instOf(c.Unit))
			}
		}
		if !reflect.DeepEqual(again, []string{"8081"}) {
			t.Errorf("restarts %v, want 8081's revert only", again)
		}
		w.assertSettled(all(w, "v1"))
		w.assertUntouched("8083")
	})
}
