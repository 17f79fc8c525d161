package health

import (
	"errors"
	"fmt"
	"time"

	"github.com/sysroll/sysroll/internal/systemd"
)

// observation is what one check saw.
type observation struct {
	unit    systemd.UnitState
	unitErr error // reading the unit's state failed
	probe   Result
	probed  bool // the probes ran (they only run while the unit runs)
}

// gateState is everything the gate remembers between checks.
type gateState struct {
	start    time.Time
	base     systemd.UnitState // the unit when first seen: restarts are judged against it
	haveBase bool
	checks   int
	passes   int       // passing checks in a row
	fails    int       // failing checks in a row since the instance was first ready
	readyAt  time.Time // start of the open stability window; zero if none
	ready    bool      // was ever ready
	why      string    // what the last failing check saw
	last     Result
	unit     systemd.UnitState
}

type verdict int

const (
	waiting verdict = iota
	healthy
	failed
)

type decision struct {
	verdict verdict
	err     error     // set when failed
	next    time.Time // when to check again, when waiting
}

// evaluate folds one observation made at now into the gate's state and
// decides. g must have its defaults applied. It is pure: no clock, no I/O.
func evaluate(g Gate, st gateState, obs observation, now time.Time) (gateState, decision) {
	st.checks++
	if obs.probed {
		st.last = obs.probe
	}
	elapsed := now.Sub(st.start).Round(time.Millisecond)
	ok := false
	switch {
	case obs.unitErr != nil:
		st.why = "read unit state: " + obs.unitErr.Error()
	default:
		st.unit = obs.unit
		if !st.haveBase {
			st.base, st.haveBase = obs.unit, true
		}
		err := CheckUnit(st.base, obs.unit)
		switch {
		case errors.Is(err, ErrCrashed):
			return st, decision{verdict: failed, err: fmt.Errorf("%w (%s into the health gate)", err, elapsed)}
		case err != nil:
			st.why = err.Error()
		case obs.probed && !obs.probe.OK:
			st.why = obs.probe.String()
		default:
			ok = true
		}
	}

	if ok {
		st.fails = 0
		st.passes++
		if st.readyAt.IsZero() && st.passes >= g.HealthyThreshold {
			st.readyAt, st.ready = now, true
		}
		if !st.readyAt.IsZero() && now.Sub(st.readyAt) >= g.HealthyFor {
			return st, decision{verdict: healthy}
		}
	} else {
		st.passes = 0
		if st.ready {
			// Health must be continuous: a failed check closes the window.
			st.readyAt = time.Time{}
			st.fails++
			if st.fails >= g.UnhealthyThreshold {
				return st, decision{verdict: failed, err: fmt.Errorf("%w: %d checks in a row failed (%s into the health gate), last: %s",
					ErrUnhealthy, st.fails, elapsed, st.why)}
			}
		}
	}

	deadline := st.start.Add(g.Deadline)
	if !now.Before(deadline) {
		return st, decision{verdict: failed, err: st.deadlineError(g)}
	}
	next := now.Add(g.Interval)
	if !st.readyAt.IsZero() {
		// Check right when the window would close rather than up to an
		// interval later.
		if end := st.readyAt.Add(g.HealthyFor); end.Before(next) {
			next = end
		}
	}
	if deadline.Before(next) {
		next = deadline
	}
	return st, decision{verdict: waiting, next: next}
}

func (st gateState) deadlineError(g Gate) error {
	why := st.why
	if st.passes > 0 && st.readyAt.IsZero() {
		why = fmt.Sprintf("only %d of %d checks in a row passed", st.passes, g.HealthyThreshold)
	}
	if !st.ready {
		return fmt.Errorf("%w within %s: %s", ErrNotReady, g.Deadline, why)
	}
	if why == "" || !st.readyAt.IsZero() {
		why = "still in the window"
	}
	return fmt.Errorf("%w: ready, but not healthy for %s in a row within %s; last: %s",
		ErrDeadline, g.HealthyFor, g.Deadline, why)
}

func (st gateState) result(ok bool, now time.Time) GateResult {
	return GateResult{
		Healthy: ok,
		Checks:  st.checks,
		Took:    now.Sub(st.start),
		ReadyAt: st.readyAt,
		Last:    st.last,
		Unit:    st.unit,
	}
}
