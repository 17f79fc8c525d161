package plan

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"
)

// MaxHosts bounds the hosts of one fleet rollout: far above any fleet one
// controller should drive over SSH, and low enough that a hostile journal
// or inventory cannot make the planner allocate without bound.
const MaxHosts = 10000

// MaxLabels bounds the labels max_per_label and order_by may name.
const MaxLabels = 16

// DefaultReattachDeadline is how long an unreachable host is waited for
// before the fleet rollout halts with a report.
const DefaultReattachDeadline = 10 * time.Minute

// DefaultLease is how long a running controller's claims stay live
// without a heartbeat: it refreshes them every Lease/LeaseBeats, so a
// live controller is never taken for a dead one over a beat or two lost
// to a slow link, and a killed one blocks a resume for at most this long.
const DefaultLease = 30 * time.Second

// LeaseBeats is how many heartbeats a running controller writes per
// lease (one definition: HeartbeatEvery).
const LeaseBeats = 3

// HeartbeatEvery is how often a running controller refreshes its claims'
// heartbeat for lease (10 s at DefaultLease).
func HeartbeatEvery(lease time.Duration) time.Duration { return lease / LeaseBeats }

// labelRe is what a label key may be: the inventory's group=web, zone, rack.
var labelRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// Strategy says how the hosts of a fleet are batched, how a failed host is
// handled, and how much of the fleet must keep serving. Each host rolls
// its own instances by the service's rollout: strategy, unchanged.
type Strategy struct {
	// Batch is how many hosts roll together: a count or a percentage of
	// the hosts of the rollout (rounded up, at least 1). Default 1.
	// Mutually exclusive with Ramp.
	Batch Size
	// Ramp gives each host batch's size in turn, the last repeating, as
	// rollout.Strategy.Ramp: [1, 25%, 100%] on 10 hosts is 1, 3, then 6.
	Ramp []Size
	// MaxParallel caps how many hosts run their step at once, whatever
	// the batch size says; 0 means no cap.
	MaxParallel int
	// MaxPerLabel caps, per label key, the hosts of one batch that share
	// a value: {zone: 1} never rolls two hosts of one zone together. A
	// host without a label named here is refused: a topology limit that
	// silently does not apply is worse than none.
	MaxPerLabel map[string]int
	// OrderBy sorts the hosts by these labels' values, in turn, before
	// batching (zone a before zone b); ties keep the inventory's order.
	OrderBy []string
	// FailureBudget is how many failed hosts, over the whole rollout, are
	// tolerated: each is rolled back on its own and the rollout goes on.
	FailureBudget int
	// FailureAction applies once more hosts failed than the budget allows:
	// rollback rolls back the failed host batch (failed hosts first) and
	// stops; rollback-all also rolls back every host this rollout changed
	// in earlier batches, newest first; halt leaves every host as it is.
	// Default DefaultFailureAction.
	FailureAction FailureAction
	// MinAvailable is how many instances, fleet-wide, must keep serving
	// while a host batch rolls: a count or a percentage of every instance
	// of the fleet (rounded up). Unset, every instance outside the hosts'
	// steps in flight must serve (the single-host rule).
	MinAvailable Size
	// ReattachDeadline is how long an unreachable host is waited for
	// before the rollout halts with a report. Default
	// DefaultReattachDeadline.
	ReattachDeadline time.Duration
	// Lease is how long the fleet lock (the claims) of a running
	// controller holds without a heartbeat: past it the controller is
	// taken for gone and --resume may go on without --take-over. Default
	// DefaultLease.
	Lease time.Duration
}

// WithDefaults returns s with unset fields set to their defaults.
func (s Strategy) WithDefaults() Strategy {
	if isZero(s.Batch) && len(s.Ramp) == 0 {
		s.Batch = Size{N: 1}
	}
	if s.FailureAction == "" {
		s.FailureAction = DefaultFailureAction
	}
	if s.ReattachDeadline == 0 {
		s.ReattachDeadline = DefaultReattachDeadline
	}
	if s.Lease == 0 {
		s.Lease = DefaultLease
	}
	return s
}

// steps is the ramp to plan with.
func (s Strategy) steps() []Size {
	if len(s.Ramp) > 0 {
		return s.Ramp
	}
	if isZero(s.Batch) {
		return []Size{{N: 1}}
	}
	return []Size{s.Batch}
}

// labels are the label keys the strategy relies on, sorted, once each.
func (s Strategy) labels() []string {
	var out []string
	for k := range s.MaxPerLabel {
		out = append(out, k)
	}
	out = append(out, s.OrderBy...)
	slices.Sort(out)
	return slices.Compact(out)
}

func isZero(s Size) bool { return s.IsZero() }

// Validate returns every problem with s on its own (Batches checks it
// against the hosts), joined. Field names are those of the service file.
func (s Strategy) Validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if !isZero(s.Batch) && len(s.Ramp) > 0 {
		add("batch", "set batch or ramp, not both")
	}
	if why := sizeProblem(s.Batch, false); why != "" {
		add("batch", "%s", why)
	}
	if len(s.Ramp) > MaxHosts {
		add("ramp", "%d entries, more than the %d hosts a fleet may have", len(s.Ramp), MaxHosts)
	}
	for i, r := range s.Ramp {
		if why := sizeProblem(r, true); why != "" {
			add(fmt.Sprintf("ramp[%d]", i), "%s", why)
		}
	}
	if s.MaxParallel < 0 || s.MaxParallel > MaxHosts {
		add("max_parallel", "%d must be between 1 and %d (or unset: no cap)", s.MaxParallel, MaxHosts)
	}
	if len(s.MaxPerLabel) > MaxLabels {
		add("max_per_label", "%d labels, more than %d", len(s.MaxPerLabel), MaxLabels)
	}
	keys := make([]string, 0, len(s.MaxPerLabel))
	for k := range s.MaxPerLabel {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		n := s.MaxPerLabel[k]
		if !labelRe.MatchString(k) {
			add("max_per_label", "label %q: use letters, digits and _.- (at most 63)", clip(k))
		}
		if n < 1 || n > MaxHosts {
			add("max_per_label."+k, "%d must be between 1 and %d: 0 would never roll a host", n, MaxHosts)
		}
	}
	if len(s.OrderBy) > MaxLabels {
		add("order_by", "%d labels, more than %d", len(s.OrderBy), MaxLabels)
	}
	for i, k := range s.OrderBy {
		switch {
		case !labelRe.MatchString(k):
			add(fmt.Sprintf("order_by[%d]", i), "label %q: use letters, digits and _.- (at most 63)", clip(k))
		case slices.Index(s.OrderBy, k) != i:
			add(fmt.Sprintf("order_by[%d]", i), "label %s is listed twice", k)
		}
	}
	switch s.FailureAction {
	case "", ActionRollback, ActionRollbackAll, ActionHalt:
	default:
		add("failure_action", "%q: want %s, %s or %s", clip(string(s.FailureAction)), ActionRollback, ActionRollbackAll, ActionHalt)
	}
	if s.FailureBudget < 0 || s.FailureBudget > MaxHosts {
		add("failure_budget", "%d must be between 0 and %d", s.FailureBudget, MaxHosts)
	}
	if why := sizeProblem(s.MinAvailable, false); why != "" {
		add("min_available", "%s", why)
	}
	if s.ReattachDeadline < 0 || s.ReattachDeadline > 24*time.Hour {
		add("reattach_deadline", "%v must be between 1s and 24h", s.ReattachDeadline)
	} else if s.ReattachDeadline > 0 && s.ReattachDeadline < time.Second {
		add("reattach_deadline", "%v must be between 1s and 24h: a blip of the link is not a lost host", s.ReattachDeadline)
	}
	if s.Lease < 0 || s.Lease > time.Hour || (s.Lease > 0 && s.Lease < time.Second) {
		add("lease", "%v must be between 1s and 1h", s.Lease)
	}
	return errors.Join(errs...)
}

// sizeProblem checks a count-or-percentage; required refuses the zero value.
func sizeProblem(s Size, required bool) string {
	switch {
	case s.N != 0 && s.Percent != 0:
		return fmt.Sprintf("sets both a count (%d) and a percentage (%d%%)", s.N, s.Percent)
	case s.Percent < 0 || s.Percent > 100:
		return fmt.Sprintf("%d%% is not within 1%%-100%%", s.Percent)
	case s.N < 0 || s.N > MaxHosts*MaxInstancesPerHost:
		return fmt.Sprintf("%d is not within 1-%d", s.N, MaxHosts*MaxInstancesPerHost)
	case required && isZero(s):
		return "empty: write a count (2) or a percentage (\"25%\")"
	}
	return ""
}

// clip shortens text quoted back in a message.
func clip(s string) string {
	const n = 64
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
