package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/sysroll/sysroll/internal/analysis"

	"github.com/sysroll/sysroll/internal/health"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/systemd"
)

// engine is the state one Run, Resume or RollbackRecord works with.
type engine struct {
	spec  Spec
	deps  Deps
	begun time.Time
	// deadline is the progress deadline; zero for none.
	deadline time.Time

	mu      sync.Mutex // guards rec, drained; held across SaveRecord so saves never interleave
	rec     *release.Record
	idx     map[string]int
	drained map[string]bool // instances drained by us and not yet undrained
	repair  map[string]bool // instances down at the start that this run steps first (repair.go)
	// converge: a resume or rollback, which accepts any state it can
	// describe; its refusals say the state and the way out.
	converge bool
	// takenAbort is the abort request a timed pause took (gate.go).
	takenAbort *release.Request
	// inconclusive is the batch verdict an on_inconclusive: pause parks
	// the rollout at (analysisGate).
	inconclusive *analysis.BatchVerdict

	emitMu sync.Mutex // Progress sees one event at a time
}

func newEngine(spec Spec, deps Deps, rec *release.Record) *engine {
	e := &engine{
		spec:    spec,
		deps:    deps,
		rec:     rec,
		idx:     map[string]int{},
		drained: map[string]bool{},
	}
	e.begun = time.Now()
	if d := spec.Strategy.ProgressDeadline; d > 0 {
		e.deadline = e.begun.Add(d)
	}
	for i, in := range rec.Instances {
		e.idx[in.Name] = i
	}
	return e
}

// save applies fn to the record and writes it to the journal, in one
// critical section so the journal always holds the latest state.
func (e *engine) save(fn func(r *release.Record)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if fn != nil {
		fn(e.rec)
	}
	if err := e.deps.Journal.SaveRecord(cloneRecord(e.rec)); err != nil {
		return fmt.Errorf("save rollout record %s: %w", e.rec.ID, err)
	}
	return nil
}

// saveInstance applies fn to one instance's entry and saves.
func (e *engine) saveInstance(name string, fn func(in *release.Instance)) error {
	return e.save(func(r *release.Record) { fn(&r.Instances[e.idx[name]]) })
}

// setPhase records that name enters phase p, before the step is taken.
func (e *engine) setPhase(name string, b int, p release.Phase, start time.Time) error {
	err := e.saveInstance(name, func(in *release.Instance) { in.Phase = p })
	e.emit(Event{Type: EventPhase, Instance: name, Phase: p, Batch: b, Elapsed: time.Since(start)})
	return err
}

// gateProbes are the probes of an instance's gate after its step forward:
// its own, and the traffic proof's.
func (e *engine) gateProbes(name string) []health.Probe {
	ps := e.deps.Probes(name)
	if e.deps.Traffic != nil {
		ps = append(slices.Clip(ps), e.deps.Traffic)
	}
	return ps
}

// instance returns a copy of an instance's entry.
func (e *engine) instance(name string) release.Instance {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.rec.Instances[e.idx[name]]
}

// snapshot returns a copy of the record.
func (e *engine) snapshot() *release.Record {
	e.mu.Lock()
	defer e.mu.Unlock()
	return cloneRecord(e.rec)
}

func cloneRecord(r *release.Record) *release.Record {
	c := *r
	c.Instances = slices.Clone(r.Instances)
	c.Analysis = slices.Clone(r.Analysis)
	c.Batches = make([][]string, len(r.Batches))
	for i, b := range r.Batches {
		c.Batches[i] = slices.Clone(b)
	}
	c.Pauses = clonePauses(r.Pauses)
	return &c
}

func (e *engine) emit(ev Event) {
	ev.Service = e.spec.Service
	if ev.Type == EventPhase && (ev.Phase == release.PhaseDrain || ev.Phase == release.PhaseUndrain) {
		_, ev.Skipped = e.deps.Drainer.(NoDrain)
	}
	ev.Time = time.Now()
	if ev.Elapsed == 0 && ev.Instance == "" {
		ev.Elapsed = ev.Time.Sub(e.begun)
	}
	e.emitMu.Lock()
	defer e.emitMu.Unlock()
	e.deps.Progress.Event(ev)
}

func (e *engine) warn(name string, b int, format string, args ...any) {
	e.emit(Event{Type: EventWarning, Instance: name, Batch: b, Message: fmt.Sprintf(format, args...)})
}

// pastDeadline reports whether the progress deadline has passed.
func (e *engine) pastDeadline() bool {
	return !e.deadline.IsZero() && !time.Now().Before(e.deadline)
}

// bounded derives a context ending after d (0: no bound of its own) or at
// the progress deadline, whichever is first.
func (e *engine) bounded(ctx context.Context, d time.Duration, progress bool) (context.Context, context.CancelFunc) {
	cancels := []context.CancelFunc{}
	if d > 0 {
		var c context.CancelFunc
		ctx, c = context.WithTimeout(ctx, d)
		cancels = append(cancels, c)
	}
	if progress && !e.deadline.IsZero() {
		var c context.CancelFunc
		ctx, c = context.WithDeadline(ctx, e.deadline)
		cancels = append(cancels, c)
	}
	return ctx, func() {
		for _, c := range cancels {
			c()
		}
	}
}

// finishing returns a context for work that must complete even after the
// user's Ctrl-C: it keeps ctx's values but not its cancellation.
func finishing(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// drain takes an instance out of traffic. A drain that runs out of
// DrainTimeout is not an error: in-flight work had its time. The instance
// counts as drained from the moment we ask, so it is always undrained.
func (e *engine) drain(ctx context.Context, name string, b int) error {
	e.mu.Lock()
	e.drained[name] = true
	e.mu.Unlock()
	dctx, cancel := context.WithTimeout(ctx, e.spec.Strategy.DrainTimeout)
	defer cancel()
	err := e.deps.Drainer.Drain(dctx, name)
	// A drain that ran out of time (ours, or the drainer's own bound) is a
	// warning: the instance is out of traffic, only stragglers remain.
	if err != nil && ctx.Err() == nil && (dctx.Err() != nil || errors.Is(err, context.DeadlineExceeded)) {
		e.warn(name, b, "drain did not finish within %s; going on: %v", e.spec.Strategy.DrainTimeout, err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("drain %s: %w", name, err)
	}
	return nil
}

// undrain returns an instance to traffic if we drained it.
func (e *engine) undrain(ctx context.Context, name string) error {
	e.mu.Lock()
	drained := e.drained[name]
	e.mu.Unlock()
	if !drained {
		return nil
	}
	// Returning to traffic waits for the balancer's own checks, which may be
	// slower than our small finishing calls: allow up to the gate deadline.
	uctx, cancel := context.WithTimeout(finishing(ctx), max(sideTimeout, e.spec.Gate.WithDefaults().Deadline))
	defer cancel()
	if err := e.deps.Drainer.Undrain(uctx, name); err != nil {
		return fmt.Errorf("undrain %s: %w", name, err)
	}
	e.mu.Lock()
	delete(e.drained, name)
	e.mu.Unlock()
	return nil
}

// undrainAll is the safety net before the executor returns: nothing it
// drained stays out of traffic.
func (e *engine) undrainAll(ctx context.Context) {
	e.mu.Lock()
	var names []string
	for n := range e.drained {
		names = append(names, n)
	}
	e.mu.Unlock()
	slices.Sort(names)
	for _, n := range names {
		if err := e.undrain(ctx, n); err != nil {
			e.warn(n, -1, "could not return to traffic: %v", err)
		}
	}
}

// unitFunc reads an instance's unit.
func (e *engine) unitFunc(name string) health.UnitFunc {
	unit := e.spec.Unit(name)
	return func(ctx context.Context) (systemd.UnitState, error) { return e.deps.Manager.Unit(ctx, unit) }
}
