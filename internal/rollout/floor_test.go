package rollout_test

import (
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/systemd/systemdtest"
)

func TestCapacityAllows(t *testing.T) {
	tests := []struct {
		name string
		c    rollout.Capacity
		want bool
	}{
		{"all healthy", rollout.Capacity{Outside: 2, HealthyOutside: 2, HealthyInBatch: 1}, true},
		{"none healthy: nothing to protect", rollout.Capacity{Outside: 2}, true},
		{"below the floor, batch is down", rollout.Capacity{Outside: 2, HealthyOutside: 1}, true},
		{"below the floor, batch is healthy", rollout.Capacity{Outside: 2, HealthyOutside: 0, HealthyInBatch: 1}, false},
		{"one outside down, batch healthy", rollout.Capacity{Outside: 2, HealthyOutside: 1, HealthyInBatch: 1}, false},
		{"one of four down, batch is it", rollout.Capacity{Outside: 3, HealthyOutside: 3}, true},
		{"two down, one in the batch", rollout.Capacity{Outside: 3, HealthyOutside: 2, HealthyInBatch: 0}, true},
		{"nothing outside", rollout.Capacity{HealthyInBatch: 1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.Allows(); got != tt.want {
				t.Errorf("%+v.Allows() = %v, want %v (floor %d, healthy %d)", tt.c, got, tt.want, tt.c.Floor(), tt.c.Healthy())
			}
		})
	}
}

// warnings lists the messages of the warning events.
func (w *world) warnings() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, e := range w.events {
		if e.Type == rollout.EventWarning {
			out = append(out, e.Message)
		}
	}
	return out
}

// Below the capacity floor a rollout goes on as long as it steps no
// healthy instance: down ones first, each batch saying so, through the
// same gates.
func TestRunBelowTheFloor(t *testing.T) {
	failed := func(insts ...string) func(w *world) {
		return func(w *world) {
			for _, in := range insts {
				w.f.Set(unitOf(in), systemdtest.Failed)
			}
		}
	}
	tests := []struct {
		name  string
		n     int // instances
		setup func(w *world)
		order []string // restarts, in order
		warns int      // batches that went on below the floor
		// rollback, when set, makes the run a rollback from v2 to v1.
		rollback bool
	}{
		{"every instance failed", 3, failed("8081", "8082", "8083"), []string{"8081", "8082", "8083"}, 2, false},
		{"every instance up but unhealthy", 3, func(w *world) { w.badOn("*", "v1") }, []string{"8081", "8082", "8083"}, 2, false},
		{"one of three healthy: the down ones first", 3, failed("8081", "8083"), []string{"8081", "8083", "8082"}, 1, false},
		{"one of four failed: it first", 4, failed("8084"), []string{"8084", "8081", "8082", "8083"}, 1, false},
		{"rollback from every instance up but unhealthy", 3, func(w *world) {
			for _, in := range w.inst {
				w.rel.cur[in], w.runs[in] = "v2", "v2"
			}
			w.badOn("*", "v2")
		}, []string{"8081", "8082", "8083"}, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t, tt.n)
				tt.setup(w)
				spec, want := w.spec("v2"), "v2"
				if tt.rollback {
					spec, want = w.spec("v1"), "v1"
					spec.Kind = release.KindRollback
				}
				rec, err := rollout.Run(t.Context(), spec, w.deps())
				if err != nil || rec.Result != release.ResultSucceeded {
					t.Fatalf("Run = %v, %v", rec.Result, err)
				}
				if got := w.restarts(); !slices.Equal(got, tt.order) {
					t.Errorf("restarts %v, want %v", got, tt.order)
				}
				warns := w.warnings()
				if len(warns) != tt.warns {
					t.Fatalf("warnings %q, want %d", warns, tt.warns)
				}
				for _, m := range warns {
					if !strings.Contains(m, "costs no capacity") {
						t.Errorf("warning %q does not say why the batch goes on", m)
					}
				}
				w.assertSettled(all(w, want))
			})
		})
	}
}
