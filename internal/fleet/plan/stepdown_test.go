package plan_test

import (
	"testing"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/fleet/plan"
)

func TestStepDown(t *testing.T) {
	tests := []struct {
		instances int
		r         config.Rollout
		want      int
	}{
		{4, config.Rollout{Batch: n(1)}, 1},
		{4, config.Rollout{Batch: n(3)}, 3},
		{4, config.Rollout{Batch: n(9)}, 4},
		{4, config.Rollout{Batch: pct(50)}, 2},
		{5, config.Rollout{Batch: pct(50)}, 3},
		{10, config.Rollout{Ramp: []config.Step{n(1), pct(25), pct(100)}}, 6}, // 1, 3, then the 6 left
		{4, config.Rollout{Ramp: []config.Step{n(1), pct(100)}}, 3},
		{1, config.Rollout{Batch: pct(100)}, 1},
		{3, config.Rollout{}, 1}, // an unset size is 1, as Step.Size says
		{0, config.Rollout{Batch: n(1)}, 0},
	}
	for _, tt := range tests {
		if got := plan.StepDown(tt.instances, tt.r); got != tt.want {
			t.Errorf("StepDown(%d, batch %v ramp %v) = %d, want %d", tt.instances, tt.r.Batch, tt.r.Ramp, got, tt.want)
		}
	}
}
