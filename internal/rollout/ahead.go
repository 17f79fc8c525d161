package rollout

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Probing ahead. Before every batch the preflight checks every instance
// outside it; with N instances that is N-1 probes between two batches,
// time during which nothing rolls (at 64 instances, most of sysroll's own
// overhead). So while batch b runs, the instances that are in neither
// batch b nor batch b+1 are probed in the background, and before batch
// b+1 a fresh systemd-state check of every instance outside it (one
// ListUnitsByNames call) completes the picture: batch b's instances passed
// their gate just now, the others passed their probes within one batch's
// time and are still running now. Anything less than a clean pass falls
// back to the full preflight, with its retries and its reasons.

// ahead is a background probe of the instances outside batch next.
type ahead struct {
	next    int
	done    chan struct{}
	err     error
	took    time.Duration
	started atomic.Bool
	cancel  context.CancelFunc
}

// probeAhead starts probing, for batch next, the instances in neither
// batch cur nor batch next, after delay: timed to end just before batch cur
// does, so the result is about as fresh as a preflight made then. It
// returns nil when there is no batch next.
func (e *engine) probeAhead(ctx context.Context, batches [][]string, cur, next int, delay time.Duration) *ahead {
	if next >= len(batches) || delay < 0 {
		return nil
	}
	var names []string
	for _, n := range e.spec.Instances {
		if !slices.Contains(batches[cur], n) && e.counted(n, batches[next]) {
			names = append(names, n)
		}
	}
	actx, cancel := context.WithCancel(ctx)
	a := &ahead{next: next, done: make(chan struct{}), cancel: cancel}
	g := e.spec.Gate.WithDefaults()
	go func() {
		defer close(a.done)
		defer cancel()
		select {
		case <-actx.Done():
			a.err = actx.Err()
			return
		case <-time.After(delay):
		}
		a.started.Store(true)
		ctx := actx
		start := time.Now()
		defer func() { a.took = time.Since(start) }()
		units := e.stateFuncs(ctx, names)
		errs := make([]error, len(names))
		var wg sync.WaitGroup
		for i, n := range names {
			wg.Go(func() { _, errs[i] = g.CheckOnce(ctx, units(n), e.deps.Probes(n)) })
		}
		wg.Wait()
		a.err = errors.Join(append(errs, ctx.Err())...)
	}()
	return a
}

// passed waits for the background probe and reports whether it was for
// batch b and found every instance healthy.
func (a *ahead) passed(b int) bool {
	if a == nil {
		return false
	}
	if a.next != b || !a.started.Load() {
		// The batch ended before the probe began (a failure, a short
		// batch): its result would not be fresh. Run the full preflight.
		a.cancel()
		<-a.done
		return false
	}
	<-a.done
	return a.err == nil
}

// quickPreflight is the preflight of batch b after a clean probe ahead:
// every instance outside the batch must be running now (systemd's state
// only). Any doubt returns an error, and the caller runs the full preflight.
func (e *engine) quickPreflight(ctx context.Context, exclude []string) error {
	var names []string
	for _, n := range e.spec.Instances {
		if e.counted(n, exclude) {
			names = append(names, n)
		}
	}
	units := e.stateFuncs(ctx, names)
	g := e.spec.Gate.WithDefaults()
	for _, n := range names {
		if _, err := g.CheckOnce(ctx, units(n), nil); err != nil {
			return err
		}
	}
	return nil
}
