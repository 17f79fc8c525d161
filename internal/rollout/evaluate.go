package rollout

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sysroll/sysroll/internal/config"
)

// Outcome is what the executor knows after a batch ran.
type Outcome struct {
	Batches [][]string // the plan
	Batch   int        // index of the batch that just ran
	// Failed lists the instances of Batch that failed, in batch order.
	Failed []string
	// Tolerated counts failures already tolerated in earlier batches.
	Tolerated int
	// Reverted lists instances already put back on their previous release
	// (tolerated failures): never reverted twice.
	Reverted []string
	// Abort says the rollout must stop even within the failure budget (the
	// progress deadline passed). With no Failed, it means the deadline
	// passed between batches: Batch is the last batch that ran.
	Abort bool
	// Analysis, when set, says Failed is the whole batch because its
	// analysis failed (the verdict): no failure budget tolerates that.
	Analysis string
}

// Action is what the executor does next.
type Action string

// The actions Evaluate decides.
const (
	// ActContinue: revert Decision.Revert (tolerated failures), then run the
	// next batch.
	ActContinue Action = "continue"
	// ActRevert: revert Decision.Revert group by group, then stop.
	ActRevert Action = "revert"
	// ActHalt: stop and leave every instance on the release it is on.
	ActHalt Action = "halt"
)

// Decision is Evaluate's verdict.
type Decision struct {
	Action Action
	// Revert holds groups of instances to put back on their previous
	// release, in order: each group is reverted together and gated before
	// the next begins. Failed instances come first, so a revert never stops
	// healthy instances while broken ones still wait.
	Revert [][]string
	Reason string
}

// Evaluate decides what follows a batch, from its outcome and the strategy:
// no failure continues; failures within the budget are reverted one by one
// and the rollout continues; beyond it, s.FailureAction applies. It is pure.
func Evaluate(o Outcome, s Strategy) Decision {
	s = s.WithDefaults()
	if len(o.Failed) == 0 && !o.Abort {
		return Decision{Action: ActContinue}
	}
	total := o.Tolerated + len(o.Failed)
	if !o.Abort && o.Analysis == "" && total <= s.FailureBudget {
		return Decision{
			Action: ActContinue,
			Revert: [][]string{slices.Clone(o.Failed)},
			Reason: fmt.Sprintf("%s failed; %d of %d tolerated failures used: reverting and going on",
				strings.Join(o.Failed, ", "), total, s.FailureBudget),
		}
	}
	why := fmt.Sprintf("%s failed in batch %d", strings.Join(o.Failed, ", "), o.Batch+1)
	switch {
	case o.Analysis != "":
		why = fmt.Sprintf("the analysis of batch %d failed (%s; no failure budget applies)", o.Batch+1, o.Analysis)
	case len(o.Failed) == 0:
		why = fmt.Sprintf("progress deadline passed after batch %d", o.Batch+1)
	case o.Abort:
		why += " (progress deadline)"
	case s.FailureBudget > 0:
		why += fmt.Sprintf(", %d failures exceed the budget of %d", total, s.FailureBudget)
	}
	if s.FailureAction == config.ActionHalt {
		return Decision{Action: ActHalt, Reason: why + "; halting, instances left as they are"}
	}

	skip := func(name string) bool { return slices.Contains(o.Reverted, name) }
	var groups [][]string
	add := func(names []string) {
		var g []string
		for _, n := range names {
			if !skip(n) {
				g = append(g, n)
			}
		}
		if len(g) > 0 {
			groups = append(groups, g)
		}
	}
	if len(o.Failed) > 0 && o.Batch >= 0 && o.Batch < len(o.Batches) {
		add(o.Failed)
		var rest []string
		for _, n := range o.Batches[o.Batch] {
			if !slices.Contains(o.Failed, n) {
				rest = append(rest, n)
			}
		}
		add(rest)
	}
	if s.FailureAction == config.ActionRollbackAll {
		last := o.Batch - 1
		if len(o.Failed) == 0 {
			last = o.Batch // nothing failed: the last batch that ran succeeded
		}
		for b := min(last, len(o.Batches)-1); b >= 0; b-- {
			add(o.Batches[b])
		}
	}
	if len(groups) == 0 {
		return Decision{Action: ActHalt, Reason: why + "; nothing to revert"}
	}
	what := "reverting batch " + fmt.Sprint(o.Batch+1)
	if s.FailureAction == config.ActionRollbackAll {
		what = "reverting every batch, newest first"
	}
	return Decision{Action: ActRevert, Revert: groups, Reason: why + "; " + what}
}
