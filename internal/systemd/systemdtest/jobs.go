package systemdtest

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/systemd"
)

// Start implements systemd.Manager. Starting a running unit changes nothing
// (as in systemd); otherwise the unit goes through a start.
func (f *Fake) Start(ctx context.Context, unit string) error {
	return f.job(ctx, OpStart, unit)
}

// Stop implements systemd.Manager.
func (f *Fake) Stop(ctx context.Context, unit string) error {
	return f.job(ctx, OpStop, unit)
}

// Restart implements systemd.Manager.
func (f *Fake) Restart(ctx context.Context, unit string) error {
	return f.job(ctx, OpRestart, unit)
}

// job mirrors DBus.job: the job is queued, then the caller waits for its
// result or gives up when ctx is done, in which case the job still runs to
// its end, as it would in systemd.
func (f *Fake) job(ctx context.Context, op Op, unit string) error {
	if err := f.checkOpen(ctx); err != nil {
		return err
	}
	i := f.record(op, unit)
	if err := ctx.Err(); err != nil {
		err = fmt.Errorf("%s %s: %w", op, unit, err)
		f.finish(i, "", err)
		return err
	}
	f.mu.Lock()
	before := *f.unitLocked(unit)
	dropped := f.dropped
	f.mu.Unlock()
	done := make(chan systemd.JobResult, 1)
	go func() { done <- f.run(op, unit) }()
	select {
	case <-dropped:
		err := systemd.AwaitLost(ctx, string(op), unit, before, f.Unit, func(ctx context.Context) error {
			return f.job(ctx, op, unit)
		})
		var je *systemd.JobError
		res := systemd.JobResult("")
		if errors.As(err, &je) {
			res = je.Result
		} else if err == nil {
			res = systemd.JobDone
		}
		f.finish(i, res, err)
		return err
	case res := <-done:
		if res != systemd.JobDone {
			err := &systemd.JobError{Op: string(op), Unit: unit, Result: res}
			f.finish(i, res, err)
			return err
		}
		f.finish(i, res, nil)
		return nil
	case <-ctx.Done():
		err := fmt.Errorf("%s %s: waiting for job: %w", op, unit, ctx.Err())
		f.finish(i, "", err)
		return err
	}
}

// run carries out one job: the unit is in transition for the job time and
// while the script runs, then takes the state the script leaves.
func (f *Fake) run(op Op, unit string) systemd.JobResult {
	f.mu.Lock()
	u := f.unitLocked(unit)
	script := f.scriptLocked(op, unit)
	wait := f.jobTime
	noop := op == OpStart && u.Running()
	f.jobID++
	id := f.jobID
	u.JobID = id
	if !noop {
		switch op {
		case OpStop:
			u.ActiveState, u.SubState = systemd.Deactivating, "stop-sigterm"
		default:
			u.ActiveState, u.SubState, u.MainPID = systemd.Activating, "start", 0
		}
	}
	f.mu.Unlock()

	if wait > 0 {
		time.Sleep(wait)
	}

	f.mu.Lock()
	u = f.unitLocked(unit)
	next := *u
	f.mu.Unlock()
	if !noop {
		switch op {
		case OpStop:
			stopped(&next)
		default:
			started(&next, time.Now())
		}
	}
	res := systemd.JobDone
	if script != nil {
		res = script(&next)
	}
	f.mu.Lock()
	next.JobID = 0
	*f.unitLocked(unit) = next
	f.mu.Unlock()
	return res
}

func stopped(u *systemd.UnitState) {
	u.ActiveState, u.SubState = systemd.Inactive, "dead"
	u.MainPID = 0
	u.Result = "success"
}

// Reload implements systemd.Manager. It only records the call.
func (f *Fake) Reload(ctx context.Context) error {
	return f.simple(ctx, OpReload, "")
}

// ResetFailed implements systemd.Manager: a failed unit becomes inactive.
func (f *Fake) ResetFailed(ctx context.Context, unit string) error {
	if err := f.simple(ctx, OpResetFailed, unit); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if u, ok := f.units[unit]; ok && u.ActiveState == systemd.Failed {
		u.ActiveState, u.SubState, u.Result = systemd.Inactive, "dead", "success"
	}
	return nil
}

// EnableUnits implements systemd.Manager. It only records the call.
func (f *Fake) EnableUnits(ctx context.Context, units ...string) error {
	return f.simple(ctx, OpEnable, strings.Join(units, " "))
}

// DisableUnits implements systemd.Manager. It only records the call.
func (f *Fake) DisableUnits(ctx context.Context, units ...string) error {
	return f.simple(ctx, OpDisable, strings.Join(units, " "))
}

func (f *Fake) simple(ctx context.Context, op Op, unit string) error {
	if err := f.checkOpen(ctx); err != nil {
		return err
	}
	i := f.record(op, unit)
	err := ctx.Err()
	if err != nil {
		err = fmt.Errorf("%s %s: %w", op, unit, err)
	}
	f.finish(i, "", err)
	return err
}

// Unit implements systemd.Manager. An unknown unit is reported not-found.
func (f *Fake) Unit(ctx context.Context, unit string) (systemd.UnitState, error) {
	if err := f.checkOpen(ctx); err != nil {
		return systemd.UnitState{}, err
	}
	if err := ctx.Err(); err != nil {
		return systemd.UnitState{}, fmt.Errorf("read state of %s: %w", unit, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.readErrs[unit]; err != nil {
		return systemd.UnitState{}, fmt.Errorf("read state of %s: %w", unit, err)
	}
	u, ok := f.units[unit]
	if !ok {
		return systemd.UnitState{Name: unit, LoadState: "not-found", ActiveState: systemd.Inactive, SubState: "dead"}, nil
	}
	return *u, nil
}

// Units implements systemd.Manager.
func (f *Fake) Units(ctx context.Context, patterns ...string) ([]systemd.UnitState, error) {
	if err := f.checkOpen(ctx); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list units: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []systemd.UnitState
	for name, u := range f.units {
		if !matchAny(patterns, name) {
			continue
		}
		if err := f.readErrs[name]; err != nil {
			return nil, fmt.Errorf("read state of %s: %w", name, err)
		}
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// Close implements systemd.Manager; later calls fail with ErrNoSystemd.
func (f *Fake) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}
