package rollout_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sysroll/sysroll/internal/rollout"
)

// The probe ahead (made while a batch runs) must catch what the preflight
// made after the batch would: an instance that turns unhealthy in the
// middle of batch 2 stops the rollout before batch 3 touches anything.
func TestProbeAheadSeesMidBatchTrouble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 5)
		deps := w.deps()
		var batch1Start time.Time
		deps.Progress = rollout.ProgressFunc(func(e rollout.Event) {
			if e.Type != rollout.EventBatchStart {
				return
			}
			switch e.Batch {
			case 0:
				batch1Start = time.Now()
			case 1:
				// Batches take about as long as each other: half of
				// batch 1's length into batch 2 is its middle.
				half := time.Since(batch1Start) / 2
				time.AfterFunc(half, func() { w.badOn("8085", "v1") })
			}
		})
		_, err := rollout.Run(t.Context(), w.spec("v2"), deps)
		var pe *rollout.PreflightError
		if !errors.As(err, &pe) || pe.Batch != 2 || pe.Problems[0].Instance != "8085" {
			t.Fatalf("Run = %v; want batch 3 refused because of 8085", err)
		}
		w.assertUntouched("8083", "8084", "8085")
	})
}
