package plan_test

import (
	"testing"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/fleet/plan"
)

// stepDown calls StepDown the way a caller holding a service file does.
func stepDown(instances int, r config.Rollout) int {
	var ramp []plan.Size
	for _, st := range r.Ramp {
		ramp = append(ramp, plan.Size(st))
	}
	return plan.StepDown(instances, plan.Size(r.Batch), ramp)
}

func TestStepDown(t *testing.T) {
	c := func(v int) config.Step { return config.Step{N: v} }
	p := func(v int) config.Step { return config.Step{Percent: v} }
	tests := []struct {
		instances int
		r         config.Rollout
		want      int
	}{
		{4, config.Rollout{Batch: c(1)}, 1},
		{4, config.Rollout{Batch: c(3)}, 3},
		{4, config.Rollout{Batch: c(9)}, 4},
		{4, config.Rollout{Batch: p(50)}, 2},
		{5, config.Rollout{Batch: p(50)}, 3},
		{10, config.Rollout{Ramp: []config.Step{c(1), p(25), p(100)}}, 6}, // 1, 3, then the 6 left
		{4, config.Rollout{Ramp: []config.Step{c(1), p(100)}}, 3},
		{1, config.Rollout{Batch: p(100)}, 1},
		{3, config.Rollout{}, 1}, // an unset size is 1, as Step.Size says
		{0, config.Rollout{Batch: c(1)}, 0},
	}
	for _, tt := range tests {
		if got := stepDown(tt.instances, tt.r); got != tt.want {
			t.Errorf("StepDown(%d, batch %v ramp %v) = %d, want %d", tt.instances, tt.r.Batch, tt.r.Ramp, got, tt.want)
		}
	}
}
