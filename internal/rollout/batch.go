package rollout

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sysroll/sysroll/internal/diagnose"
	"github.com/sysroll/sysroll/internal/health"
	"github.com/sysroll/sysroll/internal/release"
)

// stepMode says how much of the step an instance needs.
type stepMode int

const (
	// modeRun: drain, switch, restart, gate, return to traffic.
	modeRun stepMode = iota
	// modeRegate (resume): the restart may already have happened, so
	// restart only if the unit still runs the invocation from before the
	// rollout, or is down, or the release had to be switched now.
	modeRegate
)

// runBatch steps every instance of a batch in parallel. It returns the
// failures, and whether any instance was left alone or undone because ctx
// ended before its restart.
func (e *engine) runBatch(ctx context.Context, b int, names []string, mode map[string]stepMode) (failed []*FailedError, interrupted bool) {
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() { errs[i] = e.step(ctx, b, name, mode[name]) })
	}
	wg.Wait()
	for _, err := range errs {
		var fe *FailedError
		switch {
		case err == nil:
		case errors.Is(err, errInterrupted):
			interrupted = true
		case errors.As(err, &fe):
			failed = append(failed, fe)
		default: // cannot happen: step returns only the two above
			panic(fmt.Sprintf("rollout: step returned %v", err))
		}
	}
	return failed, interrupted
}

// step moves one instance to its target. Every phase is saved before it is
// acted on. Until the restart is queued, a cancelled ctx undoes what was
// done (switch back, undrain) and returns errInterrupted; from the restart
// on, the step finishes under a context Ctrl-C does not cancel, since
// systemd carries the job out anyway and the instance must not be left
// half-done.
func (e *engine) step(ctx context.Context, b int, name string, mode stepMode) error {
	if ctx.Err() != nil {
		return errInterrupted
	}
	start := time.Now()
	fin := finishing(ctx)
	fail := func(p release.Phase, cause error, gate *health.GateResult) error {
		return e.failed(fin, b, name, p, cause, gate, start)
	}

	live, err := e.deps.Manager.Unit(ctx, e.spec.Unit(name))
	if err != nil {
		if ctx.Err() != nil {
			return errInterrupted // nothing done yet
		}
		return fail(release.PhaseDrain, err, nil)
	}
	if err := e.saveInstance(name, func(r *release.Instance) {
		r.Phase, r.Error = release.PhaseDrain, ""
		if r.Started.IsZero() || mode == modeRun {
			r.Started, r.Ended = start, time.Time{}
		}
		if r.InvocationBefore == "" || mode == modeRun {
			r.InvocationBefore = live.InvocationID
		}
	}); err != nil {
		return fail(release.PhaseDrain, err, nil)
	}
	in := e.instance(name)
	e.emit(Event{Type: EventPhase, Instance: name, Phase: release.PhaseDrain, Batch: b})
	if err := e.drain(ctx, name, b); err != nil {
		if ctx.Err() != nil {
			return e.undo(fin, b, name, "", "")
		}
		return fail(release.PhaseDrain, err, nil)
	}
	if ctx.Err() != nil {
		return e.undo(fin, b, name, "", "")
	}

	if err := e.setPhase(name, b, release.PhaseSwitch, start); err != nil {
		return fail(release.PhaseSwitch, err, nil)
	}
	cur, err := e.deps.Releases.Current(name)
	if err != nil {
		return fail(release.PhaseSwitch, fmt.Errorf("read current release of %s: %w", name, err), nil)
	}
	switched := cur != in.To
	if switched {
		if err := e.deps.Releases.Switch(name, in.To); err != nil {
			return fail(release.PhaseSwitch, fmt.Errorf("switch %s to %s: %w", name, in.To, err), nil)
		}
	}
	if ctx.Err() != nil {
		back := ""
		if switched {
			back = cur
		}
		return e.undo(fin, b, name, back, in.To)
	}

	restart := mode == modeRun || switched || !live.Running() || live.InvocationID == in.InvocationBefore
	if restart {
		if err := e.setPhase(name, b, release.PhaseRestart, start); err != nil {
			return fail(release.PhaseRestart, err, nil)
		}
		if err := e.restart(fin, name); err != nil {
			return fail(release.PhaseRestart, err, nil)
		}
	}

	after, _ := e.deps.Manager.Unit(fin, e.spec.Unit(name))
	if err := e.saveInstance(name, func(r *release.Instance) {
		r.Phase, r.InvocationAfter = release.PhaseGate, after.InvocationID
	}); err != nil {
		return fail(release.PhaseGate, err, nil)
	}
	e.emit(Event{Type: EventPhase, Instance: name, Phase: release.PhaseGate, Batch: b, Elapsed: time.Since(start)})
	gctx, cancel := e.bounded(fin, 0, true)
	res, err := e.spec.Gate.Wait(gctx, e.unitFunc(name), e.gateProbes(name))
	cancel()
	if err != nil {
		return fail(release.PhaseGate, e.deadlineCause(err), &res)
	}

	if err := e.setPhase(name, b, release.PhaseUndrain, start); err != nil {
		return fail(release.PhaseUndrain, err, &res)
	}
	if err := e.undrain(fin, name); err != nil {
		return fail(release.PhaseUndrain, err, &res)
	}
	end := time.Now()
	if err := e.saveInstance(name, func(r *release.Instance) { r.Phase, r.Ended = release.PhaseDone, end }); err != nil {
		// Done and in traffic: only the record lags. Say so, do not fail.
		e.warn(name, b, "%v", err)
	}
	e.emit(Event{Type: EventInstanceDone, Instance: name, Phase: release.PhaseDone, Batch: b,
		Health: res.Summary(), Elapsed: end.Sub(start)})
	return nil
}

// restart queues the restart job and waits for it, bounded by the gate's
// deadline and the progress deadline.
func (e *engine) restart(ctx context.Context, name string) error {
	rctx, cancel := e.bounded(ctx, e.spec.Gate.WithDefaults().Deadline, true)
	defer cancel()
	// A deliberate restart must not be refused by the start-rate limit
	// that crash loops (or earlier rollouts) left behind.
	if err := e.deps.Manager.ResetFailed(rctx, e.spec.Unit(name)); err != nil {
		return e.deadlineCause(err)
	}
	if err := e.deps.Manager.Restart(rctx, e.spec.Unit(name)); err != nil {
		return e.deadlineCause(err)
	}
	return nil
}

// deadlineCause marks an error caused by the progress deadline as such.
func (e *engine) deadlineCause(err error) error {
	if e.pastDeadline() && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w (%s): %w", ErrProgressDeadline, e.spec.Strategy.ProgressDeadline, err)
	}
	return err
}

// undo reverses a step interrupted before its restart: switch back (if
// back is set) and undrain. The instance is pending again, as if never
// reached; resume starts it over.
func (e *engine) undo(ctx context.Context, b int, name, back, to string) error {
	var errs []error
	if back != "" {
		if err := e.deps.Releases.Switch(name, back); err != nil {
			errs = append(errs, fmt.Errorf("switch %s back from %s to %s: %w", name, to, back, err))
		}
	}
	if err := e.undrain(ctx, name); err != nil {
		errs = append(errs, err)
	}
	msg := "interrupted before the restart: left on its release"
	if err := errors.Join(errs...); err != nil {
		msg = fmt.Sprintf("interrupted before the restart; undoing failed: %v", err)
		e.warn(name, b, "%s", msg)
	}
	if err := e.saveInstance(name, func(r *release.Instance) { r.Phase, r.Error = release.PhasePending, msg }); err != nil {
		e.warn(name, b, "%v", err)
	}
	return errInterrupted
}

// failed records an instance's failure with why (the last probe result, the
// unit's journal and the hints it gives) and returns it as a *FailedError.
func (e *engine) failed(ctx context.Context, b int, name string, p release.Phase, cause error, gate *health.GateResult, start time.Time) error {
	fe := &FailedError{Instance: name, Phase: p, Cause: cause}
	if gate != nil {
		fe.Health = gate.Summary()
	}
	if e.deps.Logs != nil {
		lctx, cancel := context.WithTimeout(ctx, sideTimeout)
		lines := e.deps.Logs(lctx, e.spec.Unit(name), diagnose.ReadLines)
		cancel()
		fe.Logs, fe.Hints = diagnose.Failure(lines, failLogLines)
	}
	end := time.Now()
	if err := e.saveInstance(name, func(r *release.Instance) {
		r.Phase, r.Error, r.Ended = release.PhaseFailed, fe.Error(), end
	}); err != nil {
		e.warn(name, b, "%v", err)
	}
	e.emit(Event{Type: EventInstanceFailed, Instance: name, Phase: p, Batch: b, Message: fe.Error(),
		Health: fe.Health, Logs: fe.Logs, Hints: fe.Hints, Elapsed: end.Sub(start)})
	return fe
}
