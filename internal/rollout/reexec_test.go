package rollout_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/systemd"
)

// systemd re-executes mid-rollout (what a systemd package upgrade does):
// the connection drops with a restart job queued, or while the gate
// reads the unit, or during a revert. The rollout neither fails a healthy
// instance nor gives up: every step completes as if nothing happened.
func TestRunSurvivesReexec(t *testing.T) {
	tests := []struct {
		name string
		// arm sets up the drop on w; inst is the instance whose restart
		// (job queued) or gate triggers it.
		arm func(w *world)
		bad bool // 8082's v2 fails its gate, so the rollout reverts
	}{
		{"restart job queued", func(w *world) {
			w.script("8082", func(u *systemd.UnitState) systemd.JobResult {
				w.f.Drop(time.Second)
				return systemd.JobDone
			})
		}, false},
		{"gate waiting for health", func(w *world) {
			w.script("8082", func(u *systemd.UnitState) systemd.JobResult {
				time.AfterFunc(2*time.Second, func() { w.f.Drop(1500 * time.Millisecond) })
				return systemd.JobDone
			})
		}, false},
		{"revert's restart job queued", func(w *world) {
			w.script("8082", func(u *systemd.UnitState) systemd.JobResult {
				if v, _ := w.rel.Current("8082"); v == "v1" {
					w.f.Drop(time.Second)
				}
				return systemd.JobDone
			})
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t, 3)
				tt.arm(w)
				want, result := all(w, "v2"), release.ResultSucceeded
				if tt.bad {
					w.badOn("8082", "v2")
					want, result = map[string]string{"8081": "v2", "8082": "v1", "8083": "v1"}, release.ResultRolledBack
				}
				rec, err := rollout.Run(t.Context(), w.spec("v2"), w.deps())
				if tt.bad != (err != nil) {
					t.Fatalf("Run = %v", err)
				}
				if w.f.Drops() == 0 {
					t.Fatal("the test did not drop the connection")
				}
				if rec.Result != result {
					t.Errorf("result %s (%s), want %s", rec.Result, rec.Reason, result)
				}
				for _, in := range rec.Instances {
					wantPhase := release.PhaseDone
					if tt.bad && in.Batch == 1 {
						wantPhase = release.PhaseReverted
					}
					if tt.bad && in.Batch == 2 {
						wantPhase = release.PhasePending
					}
					if in.Phase != wantPhase {
						t.Errorf("%s ended %s (%s), want %s", in.Name, in.Phase, in.Error, wantPhase)
					}
				}
				w.assertSettled(want)
			})
		})
	}
}
