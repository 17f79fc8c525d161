package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/sysroll/sysroll/internal/release"
)

// revertGroups puts instances back on their previous release, group after
// group, the instances of a group in parallel. It runs to the end whatever
// the user's context says: a half-done revert is worse than a slow one. It
// returns the errors of instances it could not revert. An instance removed
// from the service is left alone: apply stopped it and forgot its link.
func (e *engine) revertGroups(ctx context.Context, groups [][]string) []error {
	fin := finishing(ctx)
	var errs []error
	for _, g := range groups {
		g = slices.DeleteFunc(slices.Clone(g), e.removed)
		gerrs := make([]error, len(g))
		var wg sync.WaitGroup
		for i, name := range g {
			wg.Go(func() { gerrs[i] = e.revertOne(fin, name) })
		}
		wg.Wait()
		for _, err := range gerrs {
			if err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errs
}

// revertOne puts one instance back on its From release, judging from the
// live truth what is needed: switch back if the pointer moved, restart if
// it was switched back now, is down, or runs a process started during the
// rollout on another release; then verify it healthy (the full gate after a
// restart, one check otherwise) and return it to traffic. An instance whose
// From is its To (a restart) is only brought back up and checked.
func (e *engine) revertOne(ctx context.Context, name string) (err error) {
	in := e.instance(name)
	b := in.Batch
	start := time.Now()
	if err := e.saveInstance(name, func(r *release.Instance) { r.Phase = release.PhaseRevert }); err != nil {
		// Act anyway: putting the instance back matters more than the record.
		e.warn(name, b, "%v", err)
	}
	e.emit(Event{Type: EventRevert, Instance: name, Phase: release.PhaseRevert, Batch: b,
		Message: fmt.Sprintf("back to %s", in.From)})
	defer func() {
		if err == nil {
			return
		}
		err = fmt.Errorf("revert %s to %s: %w", name, in.From, err)
		if uerr := e.undrain(ctx, name); uerr != nil {
			e.warn(name, b, "%v", uerr)
		}
		end := time.Now()
		if serr := e.saveInstance(name, func(r *release.Instance) {
			r.Phase, r.Ended = release.PhaseFailed, end
			r.Error = joinMsg(r.Error, err.Error())
		}); serr != nil {
			e.warn(name, b, "%v", serr)
		}
		e.emit(Event{Type: EventInstanceFailed, Instance: name, Phase: release.PhaseRevert, Batch: b,
			Message: err.Error(), Elapsed: end.Sub(start)})
	}()

	if in.From == "" {
		// A new instance: stopping it and removing its link is for the
		// operator to decide, not for an automatic revert.
		return errors.New("nothing to revert to: it had no release before this rollout")
	}
	cur, err := e.deps.Releases.Current(name)
	if err != nil {
		return fmt.Errorf("read current release: %w", err)
	}
	live, err := e.deps.Manager.Unit(ctx, e.spec.Unit(name))
	if err != nil {
		return err
	}
	moved := in.InvocationBefore != "" && live.InvocationID != in.InvocationBefore && in.From != in.To
	needSwitch := cur != in.From
	needRestart := needSwitch || !live.Running() || moved

	var health string
	if needRestart {
		if err := e.drain(ctx, name, b); err != nil {
			// Reverting beats in-flight requests: go on.
			e.warn(name, b, "%v; reverting anyway", err)
		}
		if needSwitch {
			if err := e.deps.Releases.Switch(name, in.From); err != nil {
				return fmt.Errorf("switch: %w", err)
			}
		}
		rctx, cancel := context.WithTimeout(ctx, e.spec.Gate.WithDefaults().Deadline)
		// The failed attempt may have used up the start-rate limit.
		err := e.deps.Manager.ResetFailed(rctx, e.spec.Unit(name))
		if err == nil {
			err = e.deps.Manager.Restart(rctx, e.spec.Unit(name))
		}
		cancel()
		if err != nil {
			return err
		}
		res, err := e.spec.Gate.Wait(ctx, e.unitFunc(name), e.deps.RevertProbes(name))
		health = res.Summary()
		if err != nil {
			return fmt.Errorf("health gate: %w", err)
		}
	} else {
		res, err := e.spec.Gate.CheckOnce(ctx, e.unitFunc(name), e.deps.RevertProbes(name))
		health = res.String()
		if err != nil {
			return err
		}
	}
	if err := e.undrain(ctx, name); err != nil {
		return err
	}
	end := time.Now()
	if err := e.saveInstance(name, func(r *release.Instance) { r.Phase, r.Ended = release.PhaseReverted, end }); err != nil {
		e.warn(name, b, "%v", err)
	}
	e.emit(Event{Type: EventReverted, Instance: name, Phase: release.PhaseReverted, Batch: b,
		Health: health, Elapsed: end.Sub(start)})
	return nil
}

func joinMsg(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// revertErr joins the errors of instances that could not be reverted.
func revertErr(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("could not revert every instance: %w", errors.Join(errs...))
}
