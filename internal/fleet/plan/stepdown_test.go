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

// The types plan mirrors from config (it cannot import config, which calls
// it) must stay the same.
func TestMirrorsConfig(t *testing.T) {
	if plan.MaxInstancesPerHost != config.MaxInstances {
		t.Errorf("MaxInstancesPerHost %d, config.MaxInstances %d", plan.MaxInstancesPerHost, config.MaxInstances)
	}
	for _, pair := range [][2]string{
		{string(plan.ActionRollback), string(config.ActionRollback)},
		{string(plan.ActionRollbackAll), string(config.ActionRollbackAll)},
		{string(plan.ActionHalt), string(config.ActionHalt)},
		{string(plan.DefaultFailureAction), string(config.DefaultFailureAction)},
	} {
		if pair[0] != pair[1] {
			t.Errorf("failure action %q, config's %q", pair[0], pair[1])
		}
	}
	for total := 0; total <= 40; total++ {
		for _, st := range []config.Step{{N: 1}, {N: 7}, {Percent: 1}, {Percent: 25}, {Percent: 33}, {Percent: 100}} {
			if got, want := plan.Size(st).Of(total), st.Size(total); got != want {
				t.Errorf("Size(%v).Of(%d) = %d, config.Step.Size = %d", st, total, got, want)
			}
			if plan.Size(st).String() != st.String() {
				t.Errorf("Size(%v).String() = %s, config's %s", st, plan.Size(st), st)
			}
		}
	}
	fe := plan.FieldError{File: "a.yaml", Line: 3, Column: 5, Field: "fleet.hosts.batch", Msg: "bad"}
	cfe := config.FieldError(fe)
	if fe.Error() != cfe.Error() {
		t.Errorf("FieldError renders %q, config's %q", fe.Error(), cfe.Error())
	}
	if (&plan.FieldError{Msg: "m"}).Error() != (&config.FieldError{Msg: "m"}).Error() {
		t.Error("FieldError without position renders unlike config's")
	}
}
