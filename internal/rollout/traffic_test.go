package rollout_test

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/sysroll/sysroll/internal/health"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
)

// The traffic proof judges the step in flight only: once breached (it
// counts over the whole rollout), it fails the gate of the instance being
// stepped, which is reverted without it; no preflight blames another
// instance for it. Before Deps.Traffic it was one of every instance's
// probes, so a preflight refused batch 2 naming a healthy instance.
func TestTrafficJudgesOnlyTheGate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		d := w.deps()
		var calls int
		d.Traffic = health.ProbeFunc(func(context.Context) health.Result {
			w.mu.Lock()
			defer w.mu.Unlock()
			calls++
			// Healthy for batch 1's gate, breached from batch 2 on.
			if w.runs["8082"] == "v2" {
				return health.Result{Detail: "traffic probe: 4 failed requests (more than 0 tolerated)"}
			}
			return health.Result{OK: true, Detail: "traffic probe: 0 failed"}
		})
		rec, err := rollout.Run(t.Context(), w.spec("v2"), d)
		if err == nil || !strings.Contains(err.Error(), "traffic probe") {
			t.Fatalf("Run = %v, want the traffic probe failing the gate", err)
		}
		if strings.Contains(err.Error(), "preflight") {
			t.Errorf("Run = %v: a preflight judged the traffic proof", err)
		}
		if rec.Result != release.ResultRolledBack {
			t.Errorf("result %s (%s), want rolled-back", rec.Result, rec.Reason)
		}
		for _, in := range rec.Instances {
			if in.Name == "8082" && in.Phase != release.PhaseReverted {
				t.Errorf("8082: phase %s, want reverted (the step the proof failed)", in.Phase)
			}
		}
		w.assertUntouched("8083")
		if calls == 0 {
			t.Errorf("the traffic probe was never asked")
		}
	})
}
