package rollout

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/release"
)

// Run carries out a rollout: for each planned batch, preflight (every
// instance outside the batch healthy; before the first batch, every
// instance), then for each instance of the batch in parallel: drain, switch
// the release pointer, restart through systemd, gate, return to traffic.
// Each step is saved to the journal before it is taken.
//
// On failure beyond the budget it shows why (FailedError carries the last
// probe result and the unit's journal lines), applies the failure action,
// and returns the record with an error wrapping the instances'
// *FailedError. Instances of batches not reached are never touched.
//
// When ctx ends (Ctrl-C, SIGTERM) it finishes or undoes each instance's
// current step (no instance is left stopped or drained), records
// ResultInterrupted and returns an error wrapping ctx.Err().
//
// The returned record is nil only if nothing was recorded (invalid spec,
// unreadable releases, journal failing at the first save).
func Run(ctx context.Context, spec Spec, deps Deps) (*release.Record, error) {
	spec = spec.withDefaults()
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("rollout of %s: %w", spec.Service, err)
	}
	deps, err := deps.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("rollout of %s: %w", spec.Service, err)
	}
	from := make(map[string]string, len(spec.Instances))
	// Every verb steps the instances that are down first: that costs no
	// capacity, and below the floor it is the only way the preflight lets
	// a batch go (floor.go). A rollback also converges whatever state it
	// finds: an instance down, on any release, is stepped too (also when
	// on the target already), and the preflight does not count it until
	// then (repair.go).
	down, err := downInstances(ctx, spec, deps.Manager)
	if err != nil {
		return nil, fmt.Errorf("%s of %s: %w", spec.Kind, spec.Service, err)
	}
	repair := map[string]bool{}
	if spec.Kind == release.KindRollback {
		repair = down
	}
	var todo []string
	for _, n := range spec.Instances {
		if from[n], err = deps.Releases.Current(n); err != nil {
			return nil, fmt.Errorf("read current release of %s: %w", n, err)
		}
		if spec.Kind == release.KindRestart || from[n] != spec.Target || repair[n] {
			todo = append(todo, n)
		}
	}
	todo = downFirst(todo, down)
	batches, err := Plan(todo, spec.Strategy)
	if err != nil {
		return nil, fmt.Errorf("plan rollout of %s: %w", spec.Service, err)
	}
	if err := checkCapacity(batches, len(spec.Instances)); err != nil {
		return nil, err
	}

	var pauses []release.Pause
	if PausesApply(spec.Kind) {
		pauses = PlanPauses(len(batches), spec.Strategy)
	}
	now := time.Now()
	rec := &release.Record{
		ID: spec.ID, Service: spec.Service, Kind: spec.Kind, To: spec.Target,
		User: spec.User, Host: spec.Host, PID: os.Getpid(), Started: now,
		Result: release.ResultRunning, Batches: batches, Pauses: pauses,
	}
	if rec.ID == "" {
		rec.ID = newID(now.UTC().Format("20060102T150405Z"))
	}
	var froms []string
	for _, n := range spec.Instances {
		in := release.Instance{Name: n, From: from[n], To: spec.Target, Phase: release.PhasePending, Batch: -1}
		if spec.Kind == release.KindRestart {
			in.To = from[n]
		}
		for b, batch := range batches {
			if slices.Contains(batch, n) {
				in.Batch = b
			}
		}
		if in.Batch < 0 {
			in.Phase = release.PhaseDone // already on the target: nothing to do
		}
		rec.Instances = append(rec.Instances, in)
		froms = append(froms, from[n])
	}
	rec.From = release.Majority(froms)
	if spec.Kind == release.KindRestart {
		rec.To = rec.From
	}

	if deps.Analysis != nil && spec.Kind == release.KindDeploy {
		if err := analysisPreflight(ctx, spec, deps.Analysis, batches, from, rec.From); err != nil {
			return nil, err
		}
	}
	e := newEngine(spec, deps, rec)
	e.converge = spec.Kind == release.KindRollback
	e.markRepair(slices.Collect(maps.Keys(repair)))
	if err := e.save(nil); err != nil {
		return nil, err
	}
	e.emit(Event{Type: EventRolloutStart, Batch: -1, Message: fmt.Sprintf("%s %s: %s → %s, %d of %d instances in %d batches (%s)",
		spec.Kind, spec.Service, rec.From, rec.To, len(todo), len(spec.Instances), len(batches), describeSteps(batches, pauses))})
	e.noteRepair(0, slices.Collect(maps.Keys(repair)))
	return e.forward(ctx, batches, nil, true)
}

// checkCapacity refuses a batch that would stop every instance at once:
// with a shared socket, systemd would then start an instance on demand on
// whatever release it points at, and without one the service is down.
func checkCapacity(batches [][]string, total int) error {
	for i, b := range batches {
		if total > 1 && len(b) >= total {
			return fmt.Errorf("batch %d would restart all %d instances at once: use a smaller batch size", i+1, total)
		}
	}
	return nil
}

func describe(batches [][]string) string {
	parts := make([]string, len(batches))
	for i, b := range batches {
		parts[i] = strings.Join(b, ",")
	}
	return strings.Join(parts, " | ")
}

func newID(prefix string) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// forward runs batches in order; work[b] lists the instances of batch b
// to step (all of them for Run; a resume leaves out finished ones), with
// their modes (default modeRun). With firstAll, the first preflight checks
// every instance instead of those outside the batch.
func (e *engine) forward(ctx context.Context, work [][]string, mode map[string]stepMode, firstAll bool) (*release.Record, error) {
	rec := e.snapshot()
	var reverted []string
	for _, in := range rec.Instances {
		if in.Phase == release.PhaseReverted {
			reverted = append(reverted, in.Name)
		}
	}
	tolerated := len(reverted)
	last, first := -1, true
	var probed *ahead
	// What the last batch and the last probe of the others took: the probe
	// ahead is timed from them (see ahead.go).
	var batchTook, probeTook time.Duration
	defer func() {
		if probed != nil {
			probed.cancel()
		}
	}()
	for b, names := range work {
		if len(names) == 0 {
			continue
		}
		if ctx.Err() != nil {
			return e.interrupted(ctx)
		}
		if rec, stopped, err := e.takeRequest(ctx, b); stopped { // sysroll pause|abort|promote (gate.go)
			return rec, err
		}
		if e.pausePending(b) { // a timed pause of rollout.steps (pause.go)
			probed.stop()
			probed = nil
			if rec, stopped, err := e.pausesBefore(ctx, b, reverted); stopped {
				return rec, err
			}
		}
		if e.pastDeadline() {
			dec := Evaluate(Outcome{Batches: rec.Batches, Batch: last, Reverted: reverted, Abort: true}, e.spec.Strategy)
			e.emit(Event{Type: EventDecision, Batch: b, Message: dec.Reason})
			return e.stop(ctx, dec, nil, fmt.Errorf("%w (%s) before batch %d", ErrProgressDeadline, e.spec.Strategy.ProgressDeadline, b+1))
		}
		exclude := rec.Batches[b]
		if first && firstAll {
			exclude = nil
		}
		first = false
		err := errors.New("no probe ahead")
		msg := preflightOK
		if probed.passed(b) {
			probeTook = probed.took
			err = e.quickPreflight(ctx, exclude)
		}
		if err != nil {
			start := time.Now()
			msg, err = e.preflight(ctx, b, rec.Batches[b], exclude)
			probeTook = time.Since(start)
		}
		if err != nil {
			if ctx.Err() != nil {
				return e.interrupted(ctx)
			}
			err = e.describeRefusal(ctx, err)
			e.emit(Event{Type: EventPreflight, Batch: b, Message: err.Error()})
			reason := err.Error()
			if pe, ok := errors.AsType[*PreflightError](err); ok {
				reason = pe.Summary() // the detail was just given
			}
			return e.end(ctx, release.ResultHalted, reason, err)
		}
		if msg != preflightOK {
			// Below the floor: say so, batch by batch, as a warning every
			// display prints (a terminal hides preflight lines), and keep
			// the preflight line short, the plain display printing both.
			e.warn("", b, "%s", msg)
			msg = "below the capacity floor; the batch steps no healthy instance (see the warning)"
		}
		e.emit(Event{Type: EventPreflight, Batch: b, Message: msg})
		e.emit(Event{Type: EventBatchStart, Batch: b, Message: strings.Join(names, ", ")})
		delay := time.Duration(-1)
		if batchTook > 0 {
			delay = batchTook - 2*probeTook - 10*time.Millisecond
		}
		probed = e.probeAhead(ctx, rec.Batches, b, b+1, delay)
		batchStart := time.Now()
		failed, interrupted := e.runBatch(ctx, b, names, mode)
		batchTook = time.Since(batchStart)
		last = b
		if len(failed) > 0 {
			o := Outcome{Batches: rec.Batches, Batch: b, Tolerated: tolerated, Reverted: reverted}
			for _, f := range failed {
				o.Failed = append(o.Failed, f.Instance)
				o.Abort = o.Abort || errors.Is(f, ErrProgressDeadline)
			}
			dec := Evaluate(o, e.spec.Strategy)
			e.emit(Event{Type: EventDecision, Batch: b, Message: dec.Reason})
			if dec.Action != ActContinue {
				return e.stop(ctx, dec, failed, nil)
			}
			if errs := e.revertGroups(ctx, dec.Revert); len(errs) > 0 {
				// The budget tolerates failures we can undo, not these.
				return e.end(ctx, release.ResultFailed, dec.Reason+"; "+revertErr(errs).Error(),
					errors.Join(joinFailed(failed), revertErr(errs)))
			}
			tolerated += len(failed)
			reverted = append(reverted, o.Failed...)
		}
		if interrupted || ctx.Err() != nil {
			return e.interrupted(ctx)
		}
		if r, stop, err := e.analysisGate(ctx, b, rec.Batches, reverted); stop {
			return r, err
		}
		e.emit(Event{Type: EventBatchDone, Batch: b})
	}
	reason := ""
	if len(reverted) > 0 {
		reason = fmt.Sprintf("within the failure budget, %s failed and run their previous release", strings.Join(reverted, ", "))
	}
	return e.end(ctx, release.ResultSucceeded, reason, nil)
}

// stop applies a failure decision (revert or halt) and ends the rollout.
func (e *engine) stop(ctx context.Context, dec Decision, failed []*FailedError, cause error) (*release.Record, error) {
	var err error
	if len(failed) > 0 {
		err = joinFailed(failed)
	}
	err = errors.Join(cause, err)
	if ctx.Err() != nil {
		err = errors.Join(err, fmt.Errorf("interrupted: %w", ctx.Err()))
	}
	if dec.Action != ActRevert {
		return e.end(ctx, release.ResultHalted, dec.Reason, err)
	}
	if errs := e.revertGroups(ctx, dec.Revert); len(errs) > 0 {
		rerr := revertErr(errs)
		return e.end(ctx, release.ResultFailed, dec.Reason+"; "+rerr.Error(), errors.Join(err, rerr))
	}
	return e.end(ctx, release.ResultRolledBack, dec.Reason, err)
}

func (e *engine) interrupted(ctx context.Context) (*release.Record, error) {
	return e.end(ctx, release.ResultInterrupted, "interrupted: each instance's current step was finished or undone",
		fmt.Errorf("rollout %s interrupted: %w", e.rec.ID, ctx.Err()))
}

// end returns every drained instance to traffic, records the result and
// reports it.
func (e *engine) end(ctx context.Context, result release.Result, reason string, err error) (*release.Record, error) {
	e.undrainAll(finishing(ctx))
	now := time.Now()
	if serr := e.save(func(r *release.Record) { r.Result, r.Reason, r.Ended = result, reason, now }); serr != nil {
		err = errors.Join(err, serr)
	}
	e.emit(Event{Type: EventRolloutEnd, Batch: -1, Result: result, Message: reason})
	return e.snapshot(), err
}
