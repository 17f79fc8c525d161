package plan

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// HostState is what a host reported just before a host batch.
type HostState struct {
	Name string
	// Reachable: the controller connected, verified its key and read its
	// state now. An unreachable host's instances count as down.
	Reachable bool
	// Why says why it is not reachable ("connection refused", "host key
	// changed"), for the message.
	Why string
	// Skipped: left out of the rollout by --skip-unreachable. It is not
	// refused for being unreachable, but its instances still count as down.
	Skipped bool
	// Instances is how many instances the host should run.
	Instances int
	// Serving counts the instances active, healthy and in traffic now.
	Serving int
	// PendingUndrain lists instances an earlier step left out of traffic
	// because the load balancer could not be reached at undrain.
	PendingUndrain []string
	// Claims are the unfinished fleet claims found on the host.
	Claims []Claim
}

// Claim is an unfinished fleet rollout claim on a host, as preflight sees it.
type Claim struct {
	FleetID string
	Owner   string // who drives it (user@machine), for the message
	// Live: its controller was heard of Silent ago, within its lease: it
	// runs. Else it ended or is gone, and --resume may take the rollout on.
	Live   bool
	Silent time.Duration
}

// Check is what Preflight decides on.
type Check struct {
	// FleetID is this rollout's; a claim of any other blocks it.
	FleetID string
	// Batch names the hosts about to start.
	Batch []string
	// Hosts reports every host whose instances serve the service, in the
	// rollout or not (those of earlier and later batches, and skipped ones).
	Hosts []HostState
	// MaxDown says, per host of Batch, how many instances its own step takes
	// out at once; missing or 0 means all of them.
	MaxDown  map[string]int
	Strategy Strategy
}

// Capacity is the fleet-wide count Preflight judged, as rollout.Capacity
// is for one host: Floor is the serving count the batch must keep.
type Capacity struct {
	Total   int // instances of every host reported
	Serving int // serving now: reachable, healthy, in traffic
	Lost    int // serving instances the batch may take out at once
	Floor   int // min_available, or every instance outside the batch's steps and skipped hosts
}

// After is how many instances still serve while the batch rolls, at worst.
func (c Capacity) After() int { return c.Serving - c.Lost }

// Allows reports whether the batch may start: while it rolls, at least
// min(Floor, Serving now) instances still serve. Below the floor already,
// a batch may only go on if it takes nothing serving out (repairing a
// fleet that is down costs no capacity); never lower than the floor
// otherwise.
func (c Capacity) Allows() bool { return c.After() >= min(c.Floor, c.Serving) }

// Verdict is Preflight's answer.
type Verdict struct {
	Go       bool
	Refusals []string // why not, each naming the host and the fix
	Notes    []string // why it goes on although something is off
	Capacity Capacity
}

// Preflight decides whether a host batch may start: every host reported
// and reachable (or skipped by --skip-unreachable), none with an undrain
// pending, none claimed by another fleet rollout, and the fleet-wide
// capacity floor kept, counting unreachable hosts and unhealthy instances
// as down. It is pure.
func Preflight(c Check) Verdict {
	s := c.Strategy.WithDefaults()
	var v Verdict
	refuse := func(format string, args ...any) { v.Refusals = append(v.Refusals, fmt.Sprintf(format, args...)) }
	state := make(map[string]HostState, len(c.Hosts))
	for _, h := range c.Hosts {
		if _, dup := state[h.Name]; dup {
			refuse("host %s is reported twice: the controller's report is inconsistent", h.Name)
		}
		state[h.Name] = h
	}
	if len(c.Batch) == 0 {
		refuse("the host batch is empty: nothing to start")
	}
	batchDown, skipped := 0, 0
	for _, name := range c.Batch {
		h, ok := state[name]
		switch {
		case !ok:
			refuse("host %s of the batch has no report: its state is unknown, and unknown is never taken as fine", name)
			continue
		case h.Skipped:
			refuse("host %s was skipped as unreachable but is in the batch", name)
		}
		d := h.Instances
		if m := c.MaxDown[name]; m > 0 && m < d {
			d = m
		}
		batchDown += d
		if h.Reachable {
			v.Capacity.Lost += min(d, max(h.Serving, 0))
		}
	}
	for _, h := range c.Hosts {
		if h.Instances < 0 || h.Serving < 0 || h.Serving > h.Instances {
			refuse("host %s reports %d of %d instances serving, which cannot be: refusing on a report that does not add up", h.Name, h.Serving, h.Instances)
			continue
		}
		v.Capacity.Total += h.Instances
		switch {
		case !h.Reachable && h.Skipped:
			skipped += h.Instances
			v.Notes = append(v.Notes, fmt.Sprintf("host %s is skipped (--skip-unreachable): its %d instances count as down", h.Name, h.Instances))
			continue
		case !h.Reachable:
			why := ""
			if h.Why != "" {
				why = " (" + h.Why + ")"
			}
			refuse("host %s is unreachable%s: its %d instances count as down and its state is unknown; "+
				"bring it back, or leave it out with --skip-unreachable or --limit", h.Name, why, h.Instances)
			continue
		}
		v.Capacity.Serving += h.Serving
		if len(h.PendingUndrain) > 0 {
			refuse("host %s has %s left out of traffic by an earlier step (undrain pending): return %s to the load balancer first",
				h.Name, plural(len(h.PendingUndrain), "instance")+" "+strings.Join(h.PendingUndrain, ", "), them(len(h.PendingUndrain)))
		}
		for _, cl := range h.Claims {
			if cl.FleetID != c.FleetID {
				owner := ""
				if cl.Owner != "" {
					owner = " by " + cl.Owner
				}
				if cl.Live {
					refuse("host %s is claimed by fleet rollout %s (started%s), which has not finished: its controller is running (heard of %v ago): wait for it to end; if it is gone, finish it with `fleet deploy FILE --resume` once its lease expires, or now with --resume --take-over",
						h.Name, cl.FleetID, owner, cl.Silent.Round(time.Second))
					continue
				}
				refuse("host %s is claimed by fleet rollout %s (started%s), which has not finished: its controller ended or is gone (silent %v): finish it with `fleet deploy FILE --resume`",
					h.Name, cl.FleetID, owner, cl.Silent.Round(time.Second))
			}
		}
	}
	// The default floor asks every instance outside the batch to serve,
	// but for those of hosts the operator chose to skip: they are down,
	// and asking for them would refuse every batch. min_available is a
	// share of every instance, the skipped ones counted as down.
	v.Capacity.Floor = max(v.Capacity.Total-batchDown-skipped, 0)
	if s.MinAvailable.N != 0 || s.MinAvailable.Percent != 0 {
		v.Capacity.Floor = ResolveFloor(s.MinAvailable, v.Capacity.Total)
	}
	cp := v.Capacity
	switch {
	case !cp.Allows():
		refuse("capacity: %d of %d instances serve now; this batch may take %d of them out at once, leaving %d, below the floor of %d%s",
			cp.Serving, cp.Total, cp.Lost, cp.After(), cp.Floor, floorHint(s))
	case cp.Serving < cp.Floor && cp.Lost == 0:
		v.Notes = append(v.Notes, fmt.Sprintf("only %d of %d instances serve, below the floor of %d: the batch takes no serving instance out, so it costs no capacity and goes on, through the same gates",
			cp.Serving, cp.Total, cp.Floor))
	}
	slices.Sort(v.Notes)
	v.Go = len(v.Refusals) == 0
	return v
}

func floorHint(s Strategy) string {
	if s.MinAvailable.N != 0 || s.MinAvailable.Percent != 0 {
		return fmt.Sprintf(" (min_available %s): repair the unhealthy instances first, or lower min_available", s.MinAvailable)
	}
	return " (every instance outside the batch must serve; min_available can tolerate fewer): repair the unhealthy instances first"
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func them(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}
