package rollout

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/sysroll/sysroll/internal/health"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/systemd"
)

// Preflight checks that every instance of spec not in exclude is healthy:
// its unit running and every probe passing. An instance that fails is
// checked again, Gate.Interval apart, up to Gate.UnhealthyThreshold checks
// in all, so one blip does not stop a rollout halfway. It returns nil, a
// *PreflightError (errors.Is ErrPreflight), or ctx's error. Only
// deps.Manager is required.
func Preflight(ctx context.Context, spec Spec, deps Deps, exclude []string) error {
	spec = spec.withDefaults()
	if deps.Manager == nil {
		return fmt.Errorf("preflight: no systemd manager")
	}
	deps.Releases, deps.Journal = nopReleases{}, nopJournal{}
	deps, _ = deps.withDefaults()
	e := newEngine(spec, deps, &release.Record{Service: spec.Service})
	_, err := e.preflight(ctx, -1, nil, exclude)
	return err
}

type nopReleases struct{}

func (nopReleases) Current(string) (string, error) { return "", nil }
func (nopReleases) Switch(string, string) error    { return nil }

type nopJournal struct{}

func (nopJournal) SaveRecord(*release.Record) error { return nil }

// isNew reports whether the record says the instance had no release before
// the rollout: it is no capacity to protect yet.
func (e *engine) isNew(name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	i, ok := e.idx[name]
	return ok && e.rec.Instances[i].From == ""
}

// counted reports whether the preflight of a batch excluding exclude
// checks name: not an instance new in this rollout (no release before it),
// nor a down one this run is about to repair (repair.go).
func (e *engine) counted(name string, exclude []string) bool {
	return !slices.Contains(exclude, name) && !e.isNew(name) && !e.awaitingRepair(name)
}

// preflightOK is the preflight's message when every instance it checked
// is healthy.
const preflightOK = "every instance outside the batch is healthy"

// preflight is Preflight for batch b (batch lists its instances), over the
// instances counted says. When some are unhealthy but stepping the batch
// lowers no capacity (floor.go) it passes, and its message says so.
func (e *engine) preflight(ctx context.Context, b int, batch, exclude []string) (string, error) {
	var pending []string
	for _, n := range e.spec.Instances {
		if e.counted(n, exclude) {
			pending = append(pending, n)
		}
	}
	g := e.spec.Gate.WithDefaults()
	problems := map[string]error{}
	for attempt := 1; len(pending) > 0; attempt++ {
		units := e.stateFuncs(ctx, pending)
		errs := make([]error, len(pending))
		var wg sync.WaitGroup
		for i, n := range pending {
			wg.Go(func() {
				_, errs[i] = g.CheckOnce(ctx, units(n), e.deps.Probes(n))
			})
		}
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return "", fmt.Errorf("preflight: %w", err)
		}
		var again []string
		for i, n := range pending {
			if errs[i] != nil {
				again = append(again, n)
				problems[n] = errs[i]
			} else {
				delete(problems, n)
			}
		}
		pending = again
		if len(pending) == 0 || attempt >= g.UnhealthyThreshold {
			break
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("preflight: %w", ctx.Err())
		case <-time.After(g.Interval):
		}
	}
	if len(problems) == 0 {
		return preflightOK, nil
	}
	if msg := e.belowFloor(ctx, b, batch, exclude, problems); msg != "" {
		return msg, nil
	}
	pe := &PreflightError{Batch: b}
	for _, n := range e.spec.Instances {
		if err, ok := problems[n]; ok {
			pe.Problems = append(pe.Problems, Problem{Instance: n, Err: err})
		}
	}
	return "", pe
}

// StateLister is implemented by Managers that can read the load, active
// and sub state of many units in one call (systemd's ListUnitsByNames).
// A preflight only needs those, and checks every instance outside the
// batch before every batch: with Unit (every property of the unit, one
// call per instance, which systemd serves one at a time) it cost ~2 ms per
// instance, most of the time between two batches of a 64-instance rollout.
type StateLister interface {
	States(ctx context.Context, units ...string) ([]systemd.UnitState, error)
}

// stateFuncs returns, for each of names, how the preflight reads its unit:
// from one StateLister call made now when the Manager offers it, else
// through Manager.Unit.
func (e *engine) stateFuncs(ctx context.Context, names []string) func(name string) health.UnitFunc {
	l, ok := e.deps.Manager.(StateLister)
	if !ok {
		return e.unitFunc
	}
	units := make([]string, len(names))
	for i, n := range names {
		units[i] = e.spec.Unit(n)
	}
	states, err := l.States(ctx, units...)
	if err != nil {
		return e.unitFunc
	}
	byName := make(map[string]systemd.UnitState, len(states))
	for _, st := range states {
		byName[st.Name] = st
	}
	return func(name string) health.UnitFunc {
		st, ok := byName[e.spec.Unit(name)]
		if !ok || !st.Running() {
			// The full read says why (result, exit status).
			return e.unitFunc(name)
		}
		return func(context.Context) (systemd.UnitState, error) { return st, nil }
	}
}
