package health

import (
	"context"
	"fmt"
	"time"

	"github.com/sysroll/sysroll/internal/systemd"
)

// UnitFunc reads the current state of the unit a gate watches.
type UnitFunc func(ctx context.Context) (systemd.UnitState, error)

// Wait runs the gate: it checks the unit and the probes every Interval until
// the instance is healthy (nil error) or the gate fails (an error wrapping
// ErrNotReady, ErrUnhealthy, ErrCrashed or ErrDeadline). The unit's state
// at the first check is the baseline for restarts, so call Wait right after
// the restart job returned. If ctx ends first, the error wraps ctx.Err().
// The GateResult is filled in every case. Time is package time's: under
// testing/synctest that is the bubble's fake clock, so tests need no clock seam.
func (g Gate) Wait(ctx context.Context, unit UnitFunc, probes []Probe) (GateResult, error) {
	g = g.WithDefaults()
	st := gateState{start: time.Now()}
	for {
		obs := g.observe(ctx, unit, probes)
		now := time.Now()
		if err := ctx.Err(); err != nil {
			return st.result(false, now), fmt.Errorf("health gate: %w", err)
		}
		var d decision
		st, d = evaluate(g, st, obs, now)
		switch d.verdict {
		case healthy:
			return st.result(true, now), nil
		case failed:
			return st.result(false, now), d.err
		}
		select {
		case <-ctx.Done():
			return st.result(false, time.Now()), fmt.Errorf("health gate: %w", ctx.Err())
		case <-time.After(d.next.Sub(now)):
		}
	}
}

func (g Gate) observe(ctx context.Context, unit UnitFunc, probes []Probe) observation {
	u, err := unit(ctx)
	if err != nil {
		return observation{unitErr: err}
	}
	obs := observation{unit: u}
	if u.Running() {
		obs.probe = RunProbes(ctx, g.Timeout, probes)
		obs.probed = true
	}
	return obs
}

// CheckOnce makes a single check, for instances that were not just restarted
// (a preflight): the unit must be running and every probe must pass. The
// error wraps ErrNotReady or ErrCrashed from CheckUnit, or ErrUnhealthy with
// the failing probe's detail.
// Each probe is bounded by g.Timeout.
func (g Gate) CheckOnce(ctx context.Context, unit UnitFunc, probes []Probe) (Result, error) {
	g = g.WithDefaults()
	u, err := unit(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("%w: read unit state: %w", ErrNotReady, err)
	}
	if err := CheckUnit(u, u); err != nil {
		return Result{}, err
	}
	r := RunProbes(ctx, g.Timeout, probes)
	if !r.OK {
		return r, fmt.Errorf("%w: %s", ErrUnhealthy, r)
	}
	return r, nil
}
