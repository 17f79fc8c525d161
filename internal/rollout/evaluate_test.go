package rollout

import (
	"reflect"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/config"
)

func TestEvaluate(t *testing.T) {
	plan := [][]string{{"a"}, {"b", "c", "d"}, {"e"}}
	tests := []struct {
		name   string
		o      Outcome
		s      Strategy
		action Action
		revert [][]string
		reason string
	}{
		{"no failure", Outcome{Batches: plan, Batch: 1}, Strategy{}, ActContinue, nil, ""},
		{"within budget", Outcome{Batches: plan, Batch: 1, Failed: []string{"c"}}, Strategy{FailureBudget: 1},
			ActContinue, [][]string{{"c"}}, "1 of 1 tolerated"},
		{"budget used up earlier", Outcome{Batches: plan, Batch: 1, Failed: []string{"c"}, Tolerated: 1, Reverted: []string{"a"}},
			Strategy{FailureBudget: 1}, ActRevert, [][]string{{"c"}, {"b", "d"}}, "2 failures exceed the budget of 1"},
		{"rollback: failed first, then the rest of the batch", Outcome{Batches: plan, Batch: 1, Failed: []string{"c"}},
			Strategy{}, ActRevert, [][]string{{"c"}, {"b", "d"}}, "c failed in batch 2"},
		{"rollback: whole batch failed", Outcome{Batches: plan, Batch: 1, Failed: []string{"b", "c", "d"}},
			Strategy{FailureAction: config.ActionRollback}, ActRevert, [][]string{{"b", "c", "d"}}, ""},
		{"rollback-all: earlier batches newest first", Outcome{Batches: plan, Batch: 2, Failed: []string{"e"}},
			Strategy{FailureAction: config.ActionRollbackAll}, ActRevert, [][]string{{"e"}, {"b", "c", "d"}, {"a"}}, "every batch"},
		{"rollback-all skips what was reverted", Outcome{Batches: plan, Batch: 2, Failed: []string{"e"}, Tolerated: 1, Reverted: []string{"c"}},
			Strategy{FailureAction: config.ActionRollbackAll, FailureBudget: 1}, ActRevert, [][]string{{"e"}, {"b", "d"}, {"a"}}, ""},
		{"halt", Outcome{Batches: plan, Batch: 1, Failed: []string{"c"}}, Strategy{FailureAction: config.ActionHalt}, ActHalt, nil, "halting"},
		{"deadline is never tolerated", Outcome{Batches: plan, Batch: 1, Failed: []string{"c"}, Abort: true},
			Strategy{FailureBudget: 5}, ActRevert, [][]string{{"c"}, {"b", "d"}}, "progress deadline"},
		{"deadline between batches, rollback: nothing failed", Outcome{Batches: plan, Batch: 1, Abort: true},
			Strategy{}, ActHalt, nil, "nothing to revert"},
		{"deadline between batches, rollback-all", Outcome{Batches: plan, Batch: 1, Abort: true},
			Strategy{FailureAction: config.ActionRollbackAll}, ActRevert, [][]string{{"b", "c", "d"}, {"a"}}, "progress deadline passed after batch 2"},
		{"deadline before any batch ran", Outcome{Batches: plan, Batch: -1, Abort: true},
			Strategy{FailureAction: config.ActionRollbackAll}, ActHalt, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Evaluate(tt.o, tt.s)
			if d.Action != tt.action || !reflect.DeepEqual(d.Revert, tt.revert) {
				t.Errorf("Evaluate = %s %v, want %s %v (%s)", d.Action, d.Revert, tt.action, tt.revert, d.Reason)
			}
			if !strings.Contains(d.Reason, tt.reason) {
				t.Errorf("reason %q does not contain %q", d.Reason, tt.reason)
			}
		})
	}
}
