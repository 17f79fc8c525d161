package rollout

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/systemd"
)

// Live is the truth about an instance now, next to what its record says.
type Live struct {
	Current string            // the release it points at
	Unit    systemd.UnitState // its unit
}

// ResumeAction is what Resume does with one instance.
type ResumeAction string

// The resume actions.
const (
	ResumeSkip   ResumeAction = "skip"   // finished and verified: nothing to do
	ResumeRun    ResumeAction = "run"    // the whole step: drain, switch, restart, gate, undrain
	ResumeRegate ResumeAction = "regate" // on the target already: restart only if needed, gate, undrain
	ResumeRevert ResumeAction = "revert" // the rollout was failing: put it back on From
)

// ResumeDecision decides, from an instance's recorded phase and the live
// truth, how to continue an interrupted rollout. Recorded phases are saved
// before their step, so a phase says the step may be half-done. It is pure.
func ResumeDecision(in release.Instance, live Live) ResumeAction {
	onTarget := live.Current == in.To
	switch in.Phase {
	case release.PhasePending, release.PhaseDrain, release.PhaseSwitch:
		// Nothing restarted yet: start the step over (drain and switch
		// are idempotent).
		return ResumeRun
	case release.PhaseRestart, release.PhaseGate, release.PhaseUndrain:
		if onTarget {
			return ResumeRegate
		}
		return ResumeRun
	case release.PhaseDone:
		switch {
		case onTarget && live.Unit.Running():
			return ResumeSkip
		case onTarget:
			return ResumeRegate
		}
		return ResumeRun
	case release.PhaseReverted:
		if live.Current == in.From && live.Unit.Running() {
			return ResumeSkip
		}
		return ResumeRevert
	default: // failed, revert, or unknown: the rollout was failing
		return ResumeRevert
	}
}

// resumeAction is ResumeDecision for a record that ended as result. A
// rollout that halted on a failure left the failed instance as it was, for
// the operator to look at; resuming it is the operator's "go on", so the
// failed step is taken again, whole, instead of being handled as a failure
// still in progress (which under failure_action halt would only halt
// again). It is pure.
func resumeAction(result release.Result, in release.Instance, live Live) ResumeAction {
	if result == release.ResultHalted && in.Phase == release.PhaseFailed {
		return ResumeRun
	}
	return ResumeDecision(in, live)
}

// RollbackDecision reports whether RollbackRecord must act on an instance:
// always when it is not on its From release; otherwise not when the rollout
// never touched it, nor when it was reverted and runs. It is pure.
func RollbackDecision(in release.Instance, live Live) bool {
	switch {
	case live.Current != in.From:
		return true
	case in.Phase == release.PhasePending, in.Phase == release.PhaseDone && in.Batch < 0:
		return false // never touched by this rollout
	case in.Phase == release.PhaseReverted:
		return !live.Unit.Running()
	}
	return true // touched: may be drained or half-restarted
}

// reopen checks that rec can be taken up again and makes an engine for it.
// spec.Instances (the service's instances now) says what to act on: an
// instance of the record that is no longer among them is marked removed
// and left alone, never dropped from the record (markRemoved). With
// allowDone a finished record is accepted too (RollbackRecord); with undo
// the record is marked as being undone before anything is touched, so a
// resume after a kill completes the undo.
func reopen(ctx context.Context, rec *release.Record, spec Spec, deps Deps, allowDone, undo bool) (*engine, map[string]Live, error) {
	if rec == nil || rec.Service != spec.Service {
		return nil, nil, fmt.Errorf("%w: it is not a record of %s", ErrNotResumable, spec.Service)
	}
	switch rec.Result {
	case release.ResultRunning, release.ResultInterrupted, release.ResultPaused:
	case release.ResultHalted, release.ResultFailed:
		// Ended partway (a preflight refused, a revert could not finish,
		// the connection to systemd was lost): the record still describes
		// every instance, so it can be finished.
	default:
		if !allowDone {
			return nil, nil, fmt.Errorf("%w: rollout %s already ended %s: nothing is left to finish (see `sysroll history %s`)",
				ErrNotResumable, rec.ID, rec.Result, rec.Service)
		}
	}
	if len(spec.Instances) == 0 {
		for _, in := range rec.Instances {
			if !in.Removed {
				spec.Instances = append(spec.Instances, in.Name)
			}
		}
	}
	// The record, not the caller, says what the rollout was.
	spec.Kind, spec.Target = rec.Kind, rec.To
	if spec.Kind == release.KindRestart {
		spec.Target = "" // each instance's record says its target
	}
	spec = spec.withDefaults()
	if err := spec.Validate(); err != nil {
		return nil, nil, fmt.Errorf("resume %s: %w", rec.ID, err)
	}
	deps, err := deps.withDefaults()
	if err != nil {
		return nil, nil, fmt.Errorf("resume %s: %w", rec.ID, err)
	}
	e := newEngine(spec, deps, cloneRecord(rec))
	e.converge = true
	removed := e.markRemoved()
	live := map[string]Live{}
	for _, in := range e.rec.Instances {
		if in.Removed {
			continue
		}
		cur, err := deps.Releases.Current(in.Name)
		if err != nil {
			return nil, nil, fmt.Errorf("read current release of %s: %w", in.Name, err)
		}
		u, err := deps.Manager.Unit(ctx, spec.Unit(in.Name))
		if err != nil {
			return nil, nil, err
		}
		live[in.Name] = Live{Current: cur, Unit: u}
		// After a kill -9 we cannot know whether it was drained: assume it
		// was, so it is returned to traffic in any case.
		switch in.Phase {
		case release.PhasePending, release.PhaseDone, release.PhaseReverted:
		default:
			e.drained[in.Name] = true
		}
	}
	if err := e.save(func(r *release.Record) {
		r.PID, r.Result, r.Ended = os.Getpid(), release.ResultRunning, time.Time{}
		r.Undo = r.Undo || undo
	}); err != nil {
		return nil, nil, err
	}
	e.noteRemoved(removed)
	return e, live, nil
}

// Resume continues an interrupted rollout (kill -9, lost SSH, Ctrl-C), or
// one that ended halted or failed partway, from its record, deciding per instance with ResumeDecision. If the record shows
// the rollout was handling a failure, Resume finishes that: it reverts what
// spec.Strategy.FailureAction says and returns the recorded failures.
// Otherwise it finishes the batch in flight and runs the remaining batches
// as Run would, with preflights. The caller holds the service's lock.
func Resume(ctx context.Context, rec *release.Record, spec Spec, deps Deps) (*release.Record, error) {
	undo := rec != nil && rec.Undo
	e, live, err := reopen(ctx, rec, spec, deps, false, undo)
	if err != nil {
		return nil, err
	}
	if undo {
		// It was being rolled back (RollbackRecord) when it stopped:
		// complete that, whatever failure_action says of a failing rollout.
		reason := spec.UndoReason
		if reason == "" {
			reason = "rolled back by request"
		}
		return e.undoRecord(ctx, live, "resuming the rollback of", reason)
	}
	r := e.snapshot()
	act := map[string]ResumeAction{}
	var failing []*FailedError
	failBatch := -1
	for _, in := range r.Instances {
		if in.Removed {
			continue
		}
		act[in.Name] = resumeAction(rec.Result, in, live[in.Name])
		if act[in.Name] == ResumeRevert && in.Phase != release.PhaseReverted {
			failing = append(failing, &FailedError{Instance: in.Name, Phase: in.Phase, Cause: errors.New(in.Error)})
			failBatch = max(failBatch, in.Batch)
		}
	}
	e.emit(Event{Type: EventRolloutStart, Batch: -1, Message: fmt.Sprintf("resuming %s %s of %s → %s", r.Kind, r.ID, r.From, r.To)})
	if rec.Result == release.ResultPaused {
		// Past the pause it waits at, once its canaries prove unchanged.
		var reverted []string
		for _, in := range r.Instances {
			if in.Phase == release.PhaseReverted {
				reverted = append(reverted, in.Name)
			}
		}
		if rr, stopped, err := e.unpark(ctx, reverted); stopped {
			return rr, err
		}
	}

	if len(failing) > 0 {
		o := Outcome{Batches: r.Batches, Batch: failBatch}
		for _, f := range failing {
			if slices.Contains(r.Batches[max(failBatch, 0)], f.Instance) {
				o.Failed = append(o.Failed, f.Instance)
			}
		}
		for _, in := range r.Instances {
			if act[in.Name] == ResumeSkip && in.Phase == release.PhaseReverted {
				o.Reverted = append(o.Reverted, in.Name)
			}
		}
		s := e.spec.Strategy
		s.FailureBudget = 0 // a tolerated failure would have been reverted already
		dec := Evaluate(o, s)
		// Failing instances outside that batch (an interrupted revert of an
		// earlier one) go first.
		var first []string
		for _, f := range failing {
			if !slices.Contains(o.Failed, f.Instance) {
				first = append(first, f.Instance)
			}
		}
		if len(first) > 0 && dec.Action == ActRevert {
			dec.Revert = append([][]string{first}, dec.Revert...)
		}
		e.emit(Event{Type: EventDecision, Batch: failBatch, Message: dec.Reason})
		return e.stop(ctx, dec, failing, nil)
	}

	// Instances reverted earlier (tolerated failures) that are no longer
	// up on their previous release: bring them back before going on.
	var again []string
	for _, in := range r.Instances {
		if act[in.Name] == ResumeRevert {
			again = append(again, in.Name)
		}
	}
	if errs := e.revertGroups(ctx, [][]string{again}); len(errs) > 0 {
		rerr := revertErr(errs)
		return e.end(ctx, release.ResultFailed, rerr.Error(), rerr)
	}

	work := make([][]string, len(r.Batches))
	mode := map[string]stepMode{}
	for b, batch := range r.Batches {
		for _, n := range batch {
			switch act[n] {
			case ResumeRun:
				work[b] = append(work[b], n)
			case ResumeRegate:
				work[b] = append(work[b], n)
				mode[n] = modeRegate
			}
		}
	}
	// Instances the rollout found on its target (no batch) that are down
	// now, and down instances of later batches, are stepped first: they
	// hold no capacity, and the preflight must not refuse because of them.
	down := map[string]bool{}
	var extra []string
	for _, in := range r.Instances {
		if !live[in.Name].Unit.Running() && (act[in.Name] == ResumeRun || act[in.Name] == ResumeRegate) {
			down[in.Name] = true
			if in.Batch < 0 || in.Batch >= len(r.Batches) {
				extra = append(extra, in.Name)
				if act[in.Name] == ResumeRegate {
					mode[in.Name] = modeRegate
				}
			}
		}
	}
	work = e.pullForward(work, extra, down)
	if rr, stopped, err := e.reanalyze(ctx, work); stopped { // analysis_resume.go
		return rr, err
	}
	return e.forward(ctx, work, mode, false)
}
