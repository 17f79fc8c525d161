package plan_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/sysroll/sysroll/internal/fleet/plan"
)

// simulation drives the pure decisions the way the controller will: plan,
// then per host batch a preflight, the batch's results, and Evaluate.
type simulation struct {
	s       plan.Strategy
	results map[string]plan.HostResult // default succeeded
	// breakAfter makes an instance of host breakHost stop serving after
	// that many batches (an outage outside the rollout).
	breakAfter int
	breakHost  string

	started  []string // hosts whose step was started, in order
	rollback []string
	maxLost  int // most serving instances any batch could take out
	final    plan.Action
	refused  []string
}

func (sim *simulation) run(t *testing.T) {
	t.Helper()
	hosts := fleet(10)
	p, err := plan.Batches(hosts, sim.s)
	if err != nil {
		t.Fatal(err)
	}
	states := healthy(10)
	maxDown := map[string]int{}
	for _, h := range hosts {
		maxDown[h.Name] = h.MaxDown
	}
	var changed []string
	tolerated := 0
	batches := p.HostNames()
	for b, batch := range batches {
		if sim.breakHost != "" && b == sim.breakAfter {
			for i := range states {
				if states[i].Name == sim.breakHost {
					states[i].Serving--
				}
			}
		}
		v := plan.Preflight(plan.Check{FleetID: "f1", Batch: batch, Hosts: states, MaxDown: maxDown, Strategy: sim.s})
		if !v.Go {
			sim.refused, sim.final = v.Refusals, plan.ActHalt
			return
		}
		sim.maxLost = max(sim.maxLost, v.Capacity.Lost)
		res := map[string]plan.HostResult{}
		for _, h := range batch {
			sim.started = append(sim.started, h)
			r, ok := sim.results[h]
			if !ok {
				r = plan.HostSucceeded
			}
			res[h] = r
			if r != plan.HostUnknown {
				changed = append(changed, h)
			}
		}
		d := plan.Evaluate(plan.Outcome{Batches: batches, Batch: b, Results: res, Tolerated: tolerated, Changed: changed}, sim.s)
		sim.rollback = append(sim.rollback, d.Rollback...)
		for _, h := range d.Rollback {
			changed = slices.DeleteFunc(changed, func(c string) bool { return c == h })
			if res[h] != plan.HostSucceeded {
				tolerated++
			}
		}
		if d.Action != plan.ActContinue {
			sim.final = d.Action
			return
		}
	}
	sim.final = plan.ActContinue
}

func hostsN(names ...string) []string { return names }

func TestSimulatedFleetRollouts(t *testing.T) {
	all := hostsN("app01", "app02", "app03", "app04", "app05", "app06", "app07", "app08", "app09", "app10")
	tests := []struct {
		name     string
		sim      simulation
		final    plan.Action
		started  []string
		rollback []string
		maxLost  int
	}{
		{name: "good release, one host at a time: never two instances down fleet-wide",
			sim:   simulation{s: plan.Strategy{}},
			final: plan.ActContinue, started: all, maxLost: 1},
		{name: "good release, max_parallel 5, one per zone",
			sim:   simulation{s: plan.Strategy{Batch: pct(100), MaxParallel: 5, MaxPerLabel: map[string]int{"zone": 1}}},
			final: plan.ActContinue, started: all, maxLost: 3},
		{name: "fails on one host: its batch rolled back, later hosts never touched",
			sim:   simulation{s: plan.Strategy{}, results: map[string]plan.HostResult{"app04": plan.HostRolledBack}},
			final: plan.ActRollback, started: all[:4], rollback: hostsN("app04")},
		{name: "rollback-all: every changed host, newest first",
			sim:   simulation{s: plan.Strategy{FailureAction: plan.ActionRollbackAll}, results: map[string]plan.HostResult{"app04": plan.HostFailed}},
			final: plan.ActRollback, started: all[:4], rollback: hostsN("app04", "app03", "app02", "app01")},
		{name: "halt: nothing rolled back, nothing more started",
			sim:   simulation{s: plan.Strategy{FailureAction: plan.ActionHalt}, results: map[string]plan.HostResult{"app02": plan.HostHalted}},
			final: plan.ActHalt, started: all[:2]},
		{name: "unreachable mid-rollout: wait, roll nothing back, start nothing",
			sim:   simulation{s: plan.Strategy{FailureAction: plan.ActionRollbackAll}, results: map[string]plan.HostResult{"app05": plan.HostUnknown}},
			final: plan.ActWait, started: all[:5]},
		{name: "budget 1: first failure tolerated, the second stops the rollout",
			sim: simulation{s: plan.Strategy{FailureBudget: 1}, results: map[string]plan.HostResult{
				"app03": plan.HostRolledBack, "app07": plan.HostRolledBack}},
			final: plan.ActRollback, started: all[:7], rollback: hostsN("app03", "app07")},
		{name: "an instance breaks outside the rollout: the next preflight refuses",
			sim:   simulation{s: plan.Strategy{}, breakAfter: 3, breakHost: "app09"},
			final: plan.ActHalt, started: all[:3], maxLost: 1},
		{name: "the same outage within min_available goes on",
			sim:   simulation{s: plan.Strategy{MinAvailable: pct(90)}, breakAfter: 3, breakHost: "app09"},
			final: plan.ActContinue, started: all, maxLost: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := tt.sim
			sim.run(t)
			if sim.final != tt.final {
				t.Errorf("ended %s, want %s (refusals %q)", sim.final, tt.final, sim.refused)
			}
			if !reflect.DeepEqual(sim.started, tt.started) {
				t.Errorf("started %v\n   want %v", sim.started, tt.started)
			}
			if !reflect.DeepEqual(sim.rollback, tt.rollback) {
				t.Errorf("rolled back %v, want %v", sim.rollback, tt.rollback)
			}
			if tt.maxLost > 0 && sim.maxLost != tt.maxLost {
				t.Errorf("at most %d instances out at once, want %d", sim.maxLost, tt.maxLost)
			}
		})
	}
}
