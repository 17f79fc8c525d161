package rollout_test

import (
	"testing"
	"testing/synctest"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
)

// Without a balancer or hooks nothing is drained: the drain and undrain
// phases are still recorded and streamed (a resume reads them), marked
// Skipped so that displays do not print "drain" for nothing; with a
// drainer they are not.
func TestDrainPhasesSkippedWithoutADrainer(t *testing.T) {
	for _, tc := range []struct {
		name        string
		noDrainer   bool
		wantSkipped bool
	}{
		{"no balancer, no hooks", true, true},
		{"a drainer", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t, 2)
				d := w.deps()
				if tc.noDrainer {
					d.Drainer = nil
				}
				if _, err := rollout.Run(t.Context(), w.spec("v2"), d); err != nil {
					t.Fatal(err)
				}
				seen := map[release.Phase]int{}
				for _, e := range w.events {
					if e.Type != rollout.EventPhase {
						continue
					}
					isDrain := e.Phase == release.PhaseDrain || e.Phase == release.PhaseUndrain
					if isDrain {
						seen[e.Phase]++
					}
					if want := isDrain && tc.wantSkipped; e.Skipped != want {
						t.Errorf("%s %s: Skipped %v, want %v", e.Instance, e.Phase, e.Skipped, want)
					}
				}
				if seen[release.PhaseDrain] != 2 || seen[release.PhaseUndrain] != 2 {
					t.Errorf("drain/undrain events %v, want 2 each (still streamed)", seen)
				}
			})
		})
	}
}
