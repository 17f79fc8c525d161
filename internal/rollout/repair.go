package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/systemd"
)

// Repairing a mixed state. After a partial or interrupted rollout some
// instances may be down (failed, stopped, never started) on any release.
// A down instance serves nothing, so stepping it costs no capacity; and the
// preflight, which protects capacity, must not refuse a batch because of
// an instance this very run is about to bring up. So the converging verbs
// (deploy --resume, rollback) step the down instances they can describe
// first, and until each is stepped the preflight does not count it. Once
// stepped (done or reverted) it is checked like any other instance.

// markRepair records that names are down and will be stepped by this run.
func (e *engine) markRepair(names []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.repair == nil {
		e.repair = map[string]bool{}
	}
	for _, n := range names {
		e.repair[n] = true
	}
}

// noteRepair tells the operator which down instances go first.
func (e *engine) noteRepair(b int, names []string) {
	if len(names) == 0 {
		return
	}
	slices.Sort(names)
	e.emit(Event{Type: EventDecision, Batch: b, Message: fmt.Sprintf("down, so stepped first (costs no capacity): %s", strings.Join(names, ", "))})
}

// awaitingRepair reports whether name is down and not yet stepped in this
// run: it holds no capacity the preflight could protect.
func (e *engine) awaitingRepair(name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.repair[name] {
		return false
	}
	i, ok := e.idx[name]
	if !ok {
		return false
	}
	switch e.rec.Instances[i].Phase {
	case release.PhaseDone, release.PhaseReverted:
		return false
	}
	return true
}

// downFirst reorders names so those in down come first, each group in its
// original order.
func downFirst(names []string, down map[string]bool) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if down[n] {
			out = append(out, n)
		}
	}
	for _, n := range names {
		if !down[n] {
			out = append(out, n)
		}
	}
	return out
}

// downInstances reads which of spec's instances are not running now: in
// one call when the Manager is a StateLister (every verb reads this before
// planning; one Unit call per instance costs ~2 ms each on real systemd).
func downInstances(ctx context.Context, spec Spec, m systemd.Manager) (map[string]bool, error) {
	down := map[string]bool{}
	if l, ok := m.(StateLister); ok {
		units := make([]string, len(spec.Instances))
		for i, n := range spec.Instances {
			units[i] = spec.Unit(n)
		}
		if states, err := l.States(ctx, units...); err == nil && len(states) == len(units) {
			running := make(map[string]bool, len(states))
			for _, st := range states {
				running[st.Name] = st.Running()
			}
			for _, n := range spec.Instances {
				if !running[spec.Unit(n)] {
					down[n] = true
				}
			}
			return down, nil
		}
		// Fall back to reading each unit, which also says why it fails.
	}
	for _, n := range spec.Instances {
		u, err := m.Unit(ctx, spec.Unit(n))
		if err != nil {
			return nil, fmt.Errorf("read state of %s: %w", n, err)
		}
		if !u.Running() {
			down[n] = true
		}
	}
	return down, nil
}

// pullForward moves the down instances of later work batches (and those on
// no batch, left on their target by the rollout but down now) into the
// first batch with work, in the record too, so they are stepped before
// any instance that is up is taken down.
func (e *engine) pullForward(work [][]string, extra []string, down map[string]bool) [][]string {
	first := slices.IndexFunc(work, func(b []string) bool { return len(b) > 0 })
	var moved []string
	for b := range work {
		if b == first {
			continue
		}
		keep := work[b][:0:0]
		for _, n := range work[b] {
			if down[n] && first >= 0 {
				moved = append(moved, n)
			} else {
				keep = append(keep, n)
			}
		}
		work[b] = keep
	}
	for _, n := range extra {
		if down[n] {
			moved = append(moved, n)
		}
	}
	if len(moved) == 0 {
		return work
	}
	if first < 0 {
		first = 0
		if len(work) == 0 {
			work = [][]string{nil}
		}
	}
	work[first] = append(work[first], moved...)
	e.markRepair(moved)
	err := e.save(func(r *release.Record) {
		if first >= len(r.Batches) {
			r.Batches = append(r.Batches, make([][]string, first+1-len(r.Batches))...)
		}
		for _, n := range moved {
			in := &r.Instances[e.idx[n]]
			if in.Batch >= 0 && in.Batch < len(r.Batches) {
				r.Batches[in.Batch] = slices.DeleteFunc(r.Batches[in.Batch], func(s string) bool { return s == n })
			}
			in.Batch = first
			if !slices.Contains(r.Batches[first], n) {
				r.Batches[first] = append(r.Batches[first], n)
			}
		}
	})
	if err != nil {
		// The step saves again before acting; the record catches up there.
		e.warn("", first, "%v", err)
	}
	e.noteRepair(first, moved)
	return work
}

// describeRefusal adds to a preflight refusal of a converging run (resume,
// rollback) every instance's release and state, and the way out: the
// refusal comes from instances that are up but unhealthy, which the run
// will not take down on a guess.
func (e *engine) describeRefusal(ctx context.Context, err error) error {
	pe, ok := errors.AsType[*PreflightError](err)
	if !ok || !e.converge {
		return err
	}
	for _, n := range e.spec.Instances {
		st := InstanceState{Instance: n, Unit: "unknown"}
		st.Release, _ = e.deps.Releases.Current(n)
		if u, err := e.deps.Manager.Unit(ctx, e.spec.Unit(n)); err == nil {
			st.Unit = fmt.Sprintf("%s/%s", u.ActiveState, u.SubState)
		}
		pe.State = append(pe.State, st)
	}
	var names []string
	for _, p := range pe.Problems {
		names = append(names, p.Instance)
	}
	pe.WayOut = fmt.Sprintf("make %s healthy, or stop it (a stopped instance is stepped first), then run the same command again",
		strings.Join(names, ", "))
	return pe
}
