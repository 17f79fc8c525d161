package plan

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// HostResult is how a host's step ended, as the controller knows it.
type HostResult string

// Host results. They are release.Result's, but for unknown: a host whose
// end the controller could not see is a third outcome, neither failed nor
// succeeded.
const (
	HostSucceeded   HostResult = "succeeded"   // every instance on the target
	HostRolledBack  HostResult = "rolled-back" // failed; the host put its instances back per its own strategy
	HostFailed      HostResult = "failed"      // failed and could not be fully put back
	HostHalted      HostResult = "halted"      // failed; left as it is (its own failure_action: halt)
	HostInterrupted HostResult = "interrupted" // stopped by a signal; its step finished or was undone
	HostUnknown     HostResult = "unknown"     // unreachable, or no result seen
)

// failed reports whether r counts against the failure budget.
func (r HostResult) failed() bool {
	return r == HostRolledBack || r == HostFailed || r == HostHalted
}

// Outcome is what the controller knows after a host batch ended (or after
// it learnt more: Evaluate may be called again when an unknown host
// reports).
type Outcome struct {
	Batches [][]string // the plan's host batches
	Batch   int        // the batch that just ran
	// Results has an entry for each host of Batch; a missing one is unknown.
	Results map[string]HostResult
	// Tolerated counts failed hosts already tolerated in earlier batches.
	Tolerated int
	// Waited is how long the controller has waited for the batch's
	// unknown hosts to report (its own clock; 0 on the first evaluation).
	// At the strategy's reattach_deadline the rollout halts.
	Waited time.Duration
	// Changed lists every host this rollout moved at least one instance
	// of, in any batch, that has not been rolled back since. Only these
	// are ever rolled back: a host the rollout found on the target, or
	// never reached, is not touched.
	Changed []string
}

// Action is what the controller does next.
type Action string

// The actions Evaluate decides.
const (
	// ActContinue: roll back Decision.Rollback (tolerated failures), run
	// the preflight, then the next host batch.
	ActContinue Action = "continue"
	// ActRollback: roll back Decision.Rollback, in order, then stop.
	ActRollback Action = "rollback"
	// ActHalt: stop, leaving every host as it is.
	ActHalt Action = "halt"
	// ActWait: start no host; wait for the hosts in Decision.Wait to
	// report, then evaluate again, with Outcome.Waited set; past
	// reattach_deadline the decision is ActHalt.
	ActWait Action = "wait"
	// ActStop: the batch was interrupted; stop starting hosts and exit
	// with the resume command.
	ActStop Action = "stop"
)

// Decision is Evaluate's verdict.
type Decision struct {
	Action Action
	// Rollback lists hosts to roll back, one after another: the failed
	// hosts first, then the rest of the batch, then (rollback-all) the
	// earlier batches newest first.
	Rollback []string
	// Wait lists the hosts whose result is unknown. They are never rolled
	// back on an unknown, nor counted as done.
	Wait   []string
	Reason string
}

// Evaluate decides what follows a host batch from its results, the
// failure budget and the failure action. No failure and every result known
// continues. Failures within the budget are rolled back host by host and
// the rollout goes on; beyond it, the failure action applies. An unknown
// result is never taken as a success: no new host starts until it is
// known, and no other host is rolled back because of it. It is pure.
func Evaluate(o Outcome, s Strategy) Decision {
	s = s.WithDefaults()
	if o.Batch < 0 || o.Batch >= len(o.Batches) {
		return Decision{Action: ActHalt, Reason: fmt.Sprintf("batch %d is not in the plan of %d batches: halting", o.Batch+1, len(o.Batches))}
	}
	batch := o.Batches[o.Batch]
	var failed, unknown, interrupted []string
	for _, h := range batch {
		switch r := o.Results[h]; {
		case r.failed():
			failed = append(failed, h)
		case r == HostSucceeded:
		case r == HostInterrupted:
			interrupted = append(interrupted, h)
		default: // unknown, missing, or a result this version does not know
			unknown = append(unknown, h)
		}
	}
	changed := func(h string) bool { return slices.Contains(o.Changed, h) }
	var waitNote string
	if len(unknown) > 0 {
		waitNote = fmt.Sprintf("; %s unknown: waiting for %s, never rolled back on an unknown", list(unknown), them(len(unknown)))
	}

	total := o.Tolerated + len(failed)
	if len(failed) == 0 || total <= s.FailureBudget {
		d := Decision{Action: ActContinue, Wait: unknown}
		switch {
		case len(unknown) > 0 && o.Waited >= s.ReattachDeadline:
			d.Action = ActHalt
		case len(unknown) > 0:
			d.Action = ActWait
		case len(interrupted) > 0:
			d.Action = ActStop
		}
		var why []string
		if len(failed) > 0 {
			for _, h := range failed {
				if changed(h) {
					d.Rollback = append(d.Rollback, h)
				}
			}
			next := ""
			if d.Action == ActContinue {
				next = " and going on"
			}
			why = append(why, fmt.Sprintf("%s failed; %d of %d tolerated host failures used: rolling %s back%s",
				list(failed), total, s.FailureBudget, them(len(failed)), next))
		}
		switch d.Action {
		case ActHalt:
			why = append(why, fmt.Sprintf("%s still unknown after %v (reattach_deadline %v): halting; no other host is rolled back on an unknown, resume once %s back",
				list(unknown), o.Waited.Round(time.Second), s.ReattachDeadline, pronoun(len(unknown))+isAre(len(unknown))))
		case ActWait:
			why = append(why, fmt.Sprintf("%s unknown (unreachable or no result seen): starting no host until %s report%s; unknown is not success",
				list(unknown), pronoun(len(unknown)), verbS(len(unknown))))
		case ActStop:
			why = append(why, fmt.Sprintf("%s interrupted: starting no host; resume to go on", list(interrupted)))
		}
		d.Reason = strings.Join(why, "; ")
		return d
	}

	why := fmt.Sprintf("%s failed in host batch %d", list(failed), o.Batch+1)
	if s.FailureBudget > 0 || o.Tolerated > 0 {
		why += fmt.Sprintf(", %d host failures exceed the budget of %d", total, s.FailureBudget)
	}
	if s.FailureAction == ActionHalt {
		return Decision{Action: ActHalt, Wait: unknown, Reason: why + "; halting, hosts left as they are" + waitNote}
	}
	var order []string
	add := func(h string) {
		if changed(h) && !slices.Contains(unknown, h) && !slices.Contains(order, h) {
			order = append(order, h)
		}
	}
	for _, h := range failed {
		add(h)
	}
	for _, h := range batch {
		add(h)
	}
	if s.FailureAction == ActionRollbackAll {
		for b := o.Batch - 1; b >= 0; b-- {
			for _, h := range o.Batches[b] {
				add(h)
			}
		}
	}
	if len(order) == 0 {
		return Decision{Action: ActHalt, Wait: unknown, Reason: why + "; no host was changed, nothing to roll back" + waitNote}
	}
	what := fmt.Sprintf("rolling back host batch %d", o.Batch+1)
	if s.FailureAction == ActionRollbackAll {
		what = "rolling back every host this rollout changed, newest batch first"
	}
	return Decision{Action: ActRollback, Rollback: order, Wait: unknown, Reason: why + "; " + what + ": " + strings.Join(order, ", ") + waitNote}
}

// list names hosts for a reason.
func list(names []string) string {
	if len(names) == 1 {
		return "host " + names[0]
	}
	return "hosts " + strings.Join(names, ", ")
}

func isAre(n int) string {
	if n == 1 {
		return " is"
	}
	return " are"
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "they"
}

func verbS(n int) string {
	if n == 1 {
		return "s"
	}
	return ""
}
