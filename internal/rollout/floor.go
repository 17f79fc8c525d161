package rollout

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// The capacity floor. A preflight protects the capacity a service has:
// every counted instance outside the batch must be healthy, so stepping the
// batch leaves as many serving instances as the floor asks. But when fewer
// are healthy than that already (a bad first release crash-looping on every
// instance, a partial outage), refusing protects nothing and leaves no way
// out but uninstall. So the rule is: never lower the healthy count below
// the floor, nor below what it already is. An unhealthy instance serves
// nothing, so stepping it costs no capacity; a healthy one may only be
// stepped while the floor still holds.

// Capacity is what a preflight found about the counted instances (not new
// in this rollout, not awaiting repair) for the batch about to start.
type Capacity struct {
	Outside        int // counted instances outside the batch
	HealthyOutside int // of those, how many are healthy now
	HealthyInBatch int // counted instances in the batch that are healthy now
}

// Floor is the healthy count stepping the batch must keep: every counted
// instance outside it.
func (c Capacity) Floor() int { return c.Outside }

// Healthy is how many counted instances are healthy now.
func (c Capacity) Healthy() int { return c.HealthyOutside + c.HealthyInBatch }

// Allows reports whether the batch may be stepped: after it, at least
// min(floor, healthy now) instances are still healthy.
func (c Capacity) Allows() bool {
	return c.HealthyOutside >= min(c.Floor(), c.Healthy())
}

// belowFloor decides a preflight that found problems (unhealthy counted
// instances outside batch b, or in it for the first preflight, which checks
// every instance): when stepping the batch lowers no capacity,
// it returns the message saying why the batch goes on anyway; otherwise
// "" and the caller refuses. With b < 0 (the exported Preflight, no batch)
// there is nothing to decide: it refuses.
func (e *engine) belowFloor(ctx context.Context, b int, batch, exclude []string, problems map[string]error) string {
	if b < 0 {
		return ""
	}
	var c Capacity
	var inBatch []string
	total := 0
	for _, n := range e.spec.Instances {
		switch {
		case slices.Contains(batch, n):
			if !e.counted(n, nil) {
				continue
			}
			total++
			if slices.Contains(exclude, n) {
				inBatch = append(inBatch, n) // not checked yet
			} else if problems[n] == nil {
				c.HealthyInBatch++ // checked with the others (first preflight)
			}
		case e.counted(n, exclude):
			total++
			c.Outside++
			if problems[n] == nil {
				c.HealthyOutside++
			}
		}
	}
	healthy := e.healthyNow(ctx, inBatch)
	for _, n := range inBatch {
		if healthy[n] {
			c.HealthyInBatch++
		}
	}
	if !c.Allows() {
		return ""
	}
	var down []string
	for _, n := range e.spec.Instances {
		if problems[n] != nil || (slices.Contains(inBatch, n) && !healthy[n]) {
			down = append(down, n)
		}
	}
	const goesOn = "the batch steps no healthy instance, so it costs no capacity and goes on, through the same gates"
	if c.HealthyOutside < c.Floor() {
		return fmt.Sprintf("only %d of %d instances healthy (unhealthy: %s), below the floor of %d: %s",
			c.Healthy(), total, strings.Join(down, ", "), c.Floor(), goesOn)
	}
	return fmt.Sprintf("%d of %d instances healthy (unhealthy: %s): %s", c.Healthy(), total, strings.Join(down, ", "), goesOn)
}

// healthyNow checks names once each, in parallel, and reports which are
// healthy.
func (e *engine) healthyNow(ctx context.Context, names []string) map[string]bool {
	out := make(map[string]bool, len(names))
	if len(names) == 0 {
		return out
	}
	g := e.spec.Gate.WithDefaults()
	units := e.stateFuncs(ctx, names)
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Go(func() { _, errs[i] = g.CheckOnce(ctx, units(n), e.deps.Probes(n)) })
	}
	wg.Wait()
	for i, n := range names {
		out[n] = errs[i] == nil
	}
	return out
}
