package plan_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/fleet/plan"
)

func TestEvaluate(t *testing.T) {
	batches := [][]string{{"a1"}, {"b1", "b2"}, {"c1", "c2", "c3"}}
	ok, rb, failed, halted, unknown, intr := plan.HostSucceeded, plan.HostRolledBack, plan.HostFailed, plan.HostHalted, plan.HostUnknown, plan.HostInterrupted
	all := []string{"a1", "b1", "b2", "c1", "c2", "c3"}
	tests := []struct {
		name     string
		o        plan.Outcome
		s        plan.Strategy
		want     plan.Action
		rollback []string
		wait     []string
		reason   []string
	}{
		{name: "all succeeded", o: plan.Outcome{Batches: batches, Batch: 1, Results: map[string]plan.HostResult{"b1": ok, "b2": ok}, Changed: all},
			want: plan.ActContinue},
		{name: "one failed, rollback: the batch, failed host first",
			o:    plan.Outcome{Batches: batches, Batch: 1, Results: map[string]plan.HostResult{"b1": ok, "b2": rb}, Changed: all},
			want: plan.ActRollback, rollback: []string{"b2", "b1"},
			reason: []string{"host b2 failed in host batch 2", "rolling back host batch 2: b2, b1"}},
		{name: "rollback skips a host the rollout did not change",
			o:    plan.Outcome{Batches: batches, Batch: 2, Results: map[string]plan.HostResult{"c1": ok, "c2": failed, "c3": ok}, Changed: []string{"a1", "c2", "c3"}},
			want: plan.ActRollback, rollback: []string{"c2", "c3"}},
		{name: "rollback-all picks only changed hosts, newest batch first",
			o: plan.Outcome{Batches: batches, Batch: 2, Results: map[string]plan.HostResult{"c1": ok, "c2": halted, "c3": ok},
				Changed: []string{"a1", "b2", "c1", "c2", "c3"}},
			s:    plan.Strategy{FailureAction: plan.ActionRollbackAll},
			want: plan.ActRollback, rollback: []string{"c2", "c1", "c3", "b2", "a1"},
			reason: []string{"rolling back every host this rollout changed, newest batch first: c2, c1, c3, b2, a1"}},
		{name: "rollback-all leaves out hosts already rolled back (not in Changed)",
			o: plan.Outcome{Batches: batches, Batch: 2, Results: map[string]plan.HostResult{"c1": failed, "c2": ok, "c3": ok},
				Changed: []string{"b1", "c1", "c2", "c3"}},
			s:    plan.Strategy{FailureAction: plan.ActionRollbackAll},
			want: plan.ActRollback, rollback: []string{"c1", "c2", "c3", "b1"}},
		{name: "halt leaves every host as it is",
			o:    plan.Outcome{Batches: batches, Batch: 1, Results: map[string]plan.HostResult{"b1": failed, "b2": ok}, Changed: all},
			s:    plan.Strategy{FailureAction: plan.ActionHalt},
			want: plan.ActHalt, reason: []string{"halting, hosts left as they are"}},
		{name: "within the budget: roll the failed host back and go on",
			o:    plan.Outcome{Batches: batches, Batch: 1, Results: map[string]plan.HostResult{"b1": ok, "b2": rb}, Changed: all},
			s:    plan.Strategy{FailureBudget: 1},
			want: plan.ActContinue, rollback: []string{"b2"},
			reason: []string{"1 of 1 tolerated host failures used: rolling it back and going on"}},
		{name: "budget exhausted by earlier failures",
			o:    plan.Outcome{Batches: batches, Batch: 2, Results: map[string]plan.HostResult{"c1": ok, "c2": ok, "c3": rb}, Tolerated: 1, Changed: all},
			s:    plan.Strategy{FailureBudget: 1},
			want: plan.ActRollback, rollback: []string{"c3", "c1", "c2"},
			reason: []string{"2 host failures exceed the budget of 1"}},
		{name: "budget exhausted in one batch",
			o:    plan.Outcome{Batches: batches, Batch: 2, Results: map[string]plan.HostResult{"c1": rb, "c2": failed, "c3": ok}, Changed: all},
			s:    plan.Strategy{FailureBudget: 1, FailureAction: plan.ActionHalt},
			want: plan.ActHalt, reason: []string{"hosts c1, c2 failed in host batch 3, 2 host failures exceed the budget of 1"}},
		{name: "unknown host: wait, never success",
			o:    plan.Outcome{Batches: batches, Batch: 1, Results: map[string]plan.HostResult{"b1": ok, "b2": unknown}, Changed: all},
			want: plan.ActWait, wait: []string{"b2"},
			reason: []string{"host b2 unknown (unreachable or no result seen): starting no host until it reports; unknown is not success"}},
		{name: "unknown just before the reattach deadline: still wait",
			o:    plan.Outcome{Batches: batches, Batch: 1, Results: map[string]plan.HostResult{"b1": ok, "b2": unknown}, Changed: all, Waited: 9*time.Minute + 59*time.Second},
			want: plan.ActWait, wait: []string{"b2"}},
		{name: "unknown past the reattach deadline: halt, nothing rolled back",
			o:    plan.Outcome{Batches: batches, Batch: 1, Results: map[string]plan.HostResult{"b1": ok, "b2": unknown}, Changed: all, Waited: 10 * time.Minute},
			want: plan.ActHalt, wait: []string{"b2"},
			reason: []string{"host b2 still unknown after 10m0s (reattach_deadline 10m0s): halting; no other host is rolled back on an unknown, resume once it is back"}},
		{name: "the deadline comes from the strategy",
			o:    plan.Outcome{Batches: batches, Batch: 1, Results: map[string]plan.HostResult{"b1": unknown, "b2": unknown}, Changed: all, Waited: time.Minute},
			s:    plan.Strategy{ReattachDeadline: time.Minute},
			want: plan.ActHalt, wait: []string{"b1", "b2"}, reason: []string{"resume once they are back"}},
		{name: "missing result is unknown",
			o:    plan.Outcome{Batches: batches, Batch: 1, Results: map[string]plan.HostResult{"b1": ok}, Changed: all},
			want: plan.ActWait, wait: []string{"b2"}},
		{name: "a result this version does not know is unknown",
			o:    plan.Outcome{Batches: batches, Batch: 1, Results: map[string]plan.HostResult{"b1": ok, "b2": "exploded"}, Changed: all},
			want: plan.ActWait, wait: []string{"b2"}},
		{name: "unknown and a failure: roll back the known hosts, never the unknown one",
			o:    plan.Outcome{Batches: batches, Batch: 2, Results: map[string]plan.HostResult{"c1": failed, "c2": unknown, "c3": ok}, Changed: all},
			want: plan.ActRollback, rollback: []string{"c1", "c3"}, wait: []string{"c2"},
			reason: []string{"host c2 unknown: waiting for it, never rolled back on an unknown"}},
		{name: "unknown and a tolerated failure: roll it back, then wait",
			o:    plan.Outcome{Batches: batches, Batch: 2, Results: map[string]plan.HostResult{"c1": rb, "c2": unknown, "c3": ok}, Changed: all},
			s:    plan.Strategy{FailureBudget: 1},
			want: plan.ActWait, rollback: []string{"c1"}, wait: []string{"c2"}},
		{name: "unknown under halt",
			o:    plan.Outcome{Batches: batches, Batch: 2, Results: map[string]plan.HostResult{"c1": failed, "c2": unknown, "c3": ok}, Changed: all},
			s:    plan.Strategy{FailureAction: plan.ActionHalt},
			want: plan.ActHalt, wait: []string{"c2"}},
		{name: "rollback-all with unknown in an earlier batch is never reverted",
			o: plan.Outcome{Batches: batches, Batch: 2, Results: map[string]plan.HostResult{"c1": failed, "c2": unknown, "c3": unknown},
				Changed: all},
			s:    plan.Strategy{FailureAction: plan.ActionRollbackAll},
			want: plan.ActRollback, rollback: []string{"c1", "b1", "b2", "a1"}, wait: []string{"c2", "c3"}},
		{name: "interrupted: stop",
			o:    plan.Outcome{Batches: batches, Batch: 1, Results: map[string]plan.HostResult{"b1": ok, "b2": intr}, Changed: all},
			want: plan.ActStop, reason: []string{"host b2 interrupted: starting no host; resume to go on"}},
		{name: "failure beyond the budget wins over an interruption",
			o:    plan.Outcome{Batches: batches, Batch: 1, Results: map[string]plan.HostResult{"b1": rb, "b2": intr}, Changed: all},
			want: plan.ActRollback, rollback: []string{"b1", "b2"}},
		{name: "failed host not changed: nothing to roll back, halt",
			o:    plan.Outcome{Batches: batches, Batch: 0, Results: map[string]plan.HostResult{"a1": rb}},
			want: plan.ActHalt, reason: []string{"no host was changed, nothing to roll back"}},
		{name: "batch out of range halts",
			o:    plan.Outcome{Batches: batches, Batch: 3},
			want: plan.ActHalt, reason: []string{"batch 4 is not in the plan of 3 batches"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := plan.Evaluate(tt.o, tt.s)
			if d.Action != tt.want {
				t.Errorf("action %s, want %s (%s)", d.Action, tt.want, d.Reason)
			}
			if !reflect.DeepEqual(d.Rollback, tt.rollback) {
				t.Errorf("rollback %q, want %q", d.Rollback, tt.rollback)
			}
			if !reflect.DeepEqual(d.Wait, tt.wait) {
				t.Errorf("wait %q, want %q", d.Wait, tt.wait)
			}
			for _, w := range tt.reason {
				if !strings.Contains(d.Reason, w) {
					t.Errorf("reason %q\nlacks %q", d.Reason, w)
				}
			}
			for _, h := range d.Rollback {
				if r := tt.o.Results[h]; r == plan.HostUnknown {
					t.Errorf("host %s rolled back on an unknown", h)
				}
			}
		})
	}
}
