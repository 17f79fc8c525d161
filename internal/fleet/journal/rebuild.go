package journal

import (
	"fmt"
	"reflect"

	"github.com/sysroll/sysroll/internal/fleet/plan"
)

// Rebuild makes the journal of fleet rollout id from the claims read off
// its hosts, for a controller that never saw the rollout (or lost its
// state directory). The claims must agree on the plan; a planned host
// whose claim is missing (unreachable, or never reached) gets phase
// unknown if its batch is at or before the furthest batch any claim shows
// started, pending otherwise: unknown is never taken as not started.
// Offsets start at 0: a reattach reads the host's events from the start.
// It is pure.
func Rebuild(id string, claims []*Claim) (*Journal, error) {
	var first *Claim
	byHost := map[string]*Claim{}
	for _, c := range claims {
		if c == nil || c.FleetID != id {
			continue
		}
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("rebuild fleet journal %s: claim on %s: %w", id, c.Host, err)
		}
		if first == nil {
			first = c
		} else if c.Service != first.Service || c.Kind != first.Kind || c.Target != first.Target ||
			!reflect.DeepEqual(c.Batches, first.Batches) || !reflect.DeepEqual(c.Strategy, first.Strategy) ||
			!reflect.DeepEqual(c.Skipped, first.Skipped) {
			return nil, fmt.Errorf("rebuild fleet journal %s: the claims on %s and %s describe different rollouts: refusing to guess; inspect both hosts",
				id, first.Host, c.Host)
		}
		if _, dup := byHost[c.Host]; dup {
			return nil, fmt.Errorf("rebuild fleet journal %s: two claims for host %s", id, c.Host)
		}
		byHost[c.Host] = c
	}
	if first == nil {
		return nil, fmt.Errorf("rebuild fleet journal %s: no host holds a claim of it", id)
	}
	furthest := -1
	for _, c := range byHost {
		if c.Part.Phase != plan.PhasePending && c.Part.Phase != plan.PhaseStaging && c.Part.Phase != plan.PhaseStaged {
			furthest = max(furthest, c.Part.Batch)
		}
	}
	j := &Journal{
		Schema: Schema, ID: id, Service: first.Service, Kind: first.Kind, Target: first.Target,
		Controller: first.Controller, Started: first.Created, Result: ResultRunning,
		Strategy: first.Strategy, Batches: cloneBatches(first.Batches),
		Skipped: append([]Skipped(nil), first.Skipped...),
	}
	// The freshest claim knows the latest owner: a host unreachable at a
	// take-over still shows the one before.
	for _, c := range byHost {
		if len(c.TakeOvers) > len(j.TakeOvers) {
			j.TakeOvers = append([]TakeOver(nil), c.TakeOvers...)
		}
		if c.Heartbeat.After(j.Heartbeat) {
			j.Heartbeat = c.Heartbeat
		}
	}
	for b, batch := range j.Batches {
		for _, name := range batch {
			h := Host{Name: name, Batch: b, Phase: plan.PhasePending}
			if c, ok := byHost[name]; ok {
				h.Phase, h.RolloutID, h.Unit, h.BootID, h.Result, h.Updated = c.Part.Phase, c.Part.RolloutID, c.Part.Unit, c.Part.BootID, c.Part.Result, c.Part.Updated
			} else if b <= furthest {
				h.Phase, h.Error = plan.PhaseUnknown, "no claim read from this host: its state is unknown"
			}
			if h.Updated.After(j.Updated) {
				j.Updated = h.Updated
			}
			j.Hosts = append(j.Hosts, h)
		}
	}
	if j.Updated.IsZero() {
		j.Updated = j.Started
	}
	if err := j.Validate(); err != nil {
		return nil, fmt.Errorf("rebuild fleet journal %s: %w", id, err)
	}
	return j, nil
}
