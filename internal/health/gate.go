package health

import (
	"errors"
	"fmt"
	"time"

	"github.com/sysroll/sysroll/internal/systemd"
)

// Gate says when an instance counts as healthy after a restart. Zero fields
// take the defaults noted on each.
type Gate struct {
	// Interval between checks. Default 1s.
	Interval time.Duration
	// Timeout bounds each probe. Default 2s.
	Timeout time.Duration
	// HealthyThreshold is how many passing checks in a row make the instance
	// ready and open the stability window. Default 1.
	HealthyThreshold int
	// UnhealthyThreshold is how many failing checks in a row, once ready,
	// fail the gate. Fewer failures only restart the window. Default 3.
	UnhealthyThreshold int
	// HealthyFor is the stability window: how long the instance must keep
	// passing, without a unit restart, after it became ready (Nomad's
	// min_healthy_time). Default 10s. Set a negative value for none.
	HealthyFor time.Duration
	// Deadline bounds the whole gate (Nomad's healthy_deadline). Default 1m.
	Deadline time.Duration
}

// Default values for a Gate's zero fields.
const (
	DefaultInterval           = time.Second
	DefaultTimeout            = 2 * time.Second
	DefaultHealthyThreshold   = 1
	DefaultUnhealthyThreshold = 3
	DefaultHealthyFor         = 10 * time.Second
	DefaultDeadline           = time.Minute
)

// WithDefaults returns g with zero fields set to their defaults and a
// negative HealthyFor turned into 0.
func (g Gate) WithDefaults() Gate {
	if g.Interval == 0 {
		g.Interval = DefaultInterval
	}
	if g.Timeout == 0 {
		g.Timeout = DefaultTimeout
	}
	if g.HealthyThreshold == 0 {
		g.HealthyThreshold = DefaultHealthyThreshold
	}
	if g.UnhealthyThreshold == 0 {
		g.UnhealthyThreshold = DefaultUnhealthyThreshold
	}
	switch {
	case g.HealthyFor == 0:
		g.HealthyFor = DefaultHealthyFor
	case g.HealthyFor < 0:
		g.HealthyFor = 0
	}
	if g.Deadline == 0 {
		g.Deadline = DefaultDeadline
	}
	return g
}

// Validate returns every problem with g (after defaults), joined.
func (g Gate) Validate() error {
	var errs []error
	if g.Interval < 0 {
		errs = append(errs, fmt.Errorf("interval %s is negative", g.Interval))
	}
	if g.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %s is negative", g.Timeout))
	}
	if g.HealthyThreshold < 0 {
		errs = append(errs, fmt.Errorf("healthy_threshold %d is negative", g.HealthyThreshold))
	}
	if g.UnhealthyThreshold < 0 {
		errs = append(errs, fmt.Errorf("unhealthy_threshold %d is negative", g.UnhealthyThreshold))
	}
	if g.Deadline < 0 {
		errs = append(errs, fmt.Errorf("deadline %s is negative", g.Deadline))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	d := g.WithDefaults()
	// The fastest possible pass: HealthyThreshold checks Interval apart,
	// then the window. It must fit in the deadline with room to spare.
	if need := time.Duration(d.HealthyThreshold-1)*d.Interval + d.HealthyFor; need >= d.Deadline {
		errs = append(errs, fmt.Errorf("healthy_for %s (+ %d×%s interval for healthy_threshold) must be shorter than deadline %s",
			d.HealthyFor, d.HealthyThreshold-1, d.Interval, d.Deadline))
	}
	if d.Interval >= d.Deadline {
		errs = append(errs, fmt.Errorf("interval %s must be shorter than deadline %s", d.Interval, d.Deadline))
	}
	if d.Timeout >= d.Deadline {
		errs = append(errs, fmt.Errorf("timeout %s must be shorter than deadline %s", d.Timeout, d.Deadline))
	}
	return errors.Join(errs...)
}

// GateResult tells how a gate went, whatever its verdict.
type GateResult struct {
	Healthy bool
	Checks  int           // checks made
	Took    time.Duration // from the gate's start to its verdict
	// ReadyAt is when the last stability window opened; zero if the
	// instance never became ready.
	ReadyAt time.Time
	// Last is the last probe result (zero if the probes never ran because
	// the unit was not running); Unit the unit's last observed state.
	Last Result
	Unit systemd.UnitState
}

// Summary is a one-line account of the last check, for progress output.
func (r GateResult) Summary() string {
	if r.Last.Detail != "" {
		return r.Last.Detail
	}
	if r.Unit.Name != "" {
		return fmt.Sprintf("%s %s (%s)", r.Unit.Name, r.Unit.ActiveState, r.Unit.SubState)
	}
	return ""
}
