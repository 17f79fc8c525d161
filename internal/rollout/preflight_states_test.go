package rollout_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/sysroll/sysroll/internal/health"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/systemd/systemdtest"
)

// listingManager is the fake Manager plus rollout.StateLister, counting
// how the preflight reads units.
type listingManager struct {
	*systemdtest.Fake
	mu    sync.Mutex
	lists int
	reads []string // units read one by one with Unit
}

var _ rollout.StateLister = (*listingManager)(nil)

func (m *listingManager) States(_ context.Context, units ...string) ([]systemd.UnitState, error) {
	m.mu.Lock()
	m.lists++
	m.mu.Unlock()
	var out []systemd.UnitState
	for _, u := range units {
		if st, ok := m.Fake.State(u); ok {
			// Only what ListUnitsByNames returns.
			out = append(out, systemd.UnitState{Name: st.Name, LoadState: st.LoadState, ActiveState: st.ActiveState, SubState: st.SubState})
		}
	}
	return out, nil
}

func (m *listingManager) Unit(ctx context.Context, unit string) (systemd.UnitState, error) {
	m.mu.Lock()
	m.reads = append(m.reads, unit)
	m.mu.Unlock()
	return m.Fake.Unit(ctx, unit)
}

// With a StateLister the preflight reads every healthy instance with one
// call, and reads an unhealthy one in full, to say why.
func TestPreflightStateLister(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 4)
		m := &listingManager{Fake: w.f}
		spec := w.spec("v2")
		if err := rollout.Preflight(t.Context(), spec, rollout.Deps{Manager: m, Probes: w.probes}, nil); err != nil {
			t.Fatalf("Preflight = %v", err)
		}
		if m.lists != 1 || len(m.reads) != 0 {
			t.Errorf("healthy: %d lists, unit reads %v; want 1 list, no single reads", m.lists, m.reads)
		}

		w.f.Set(unitOf("8083"), systemdtest.Failed)
		m.lists, m.reads = 0, nil
		err := rollout.Preflight(t.Context(), spec, rollout.Deps{Manager: m, Probes: w.probes}, []string{"8081"})
		var pe *rollout.PreflightError
		if !errors.As(err, &pe) || len(pe.Problems) != 1 || pe.Problems[0].Instance != "8083" ||
			!errors.Is(pe.Problems[0].Err, health.ErrCrashed) {
			t.Fatalf("Preflight = %v", err)
		}
		// Checked UnhealthyThreshold (3) times, each a list and a full read
		// of the failed unit only.
		if m.lists != 3 || slices.ContainsFunc(m.reads, func(u string) bool { return u != unitOf("8083") }) {
			t.Errorf("failed: %d lists, unit reads %v", m.lists, m.reads)
		}
	})
}

// A whole rollout runs the same with a StateLister.
func TestRunWithStateLister(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		m := &listingManager{Fake: w.f}
		deps := w.deps()
		deps.Manager = m
		if _, err := rollout.Run(t.Context(), w.spec("v2"), deps); err != nil {
			t.Fatalf("Run = %v", err)
		}
		w.assertSettled(all(w, "v2"))
		// One list per preflight, plus one per probe ahead (ahead.go).
		if m.lists < 3 || m.lists > 5 {
			t.Errorf("%d preflight lists, want 3 to 5 (one or two per batch)", m.lists)
		}
	})
}

// Which instances are down, read by every verb before it plans (they go
// first), takes one list too, not a Unit read per instance.
func TestRunReadsDownInstancesWithOneList(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		m := &listingManager{Fake: w.f}
		deps := w.deps()
		deps.Manager = m
		var before []string // unit reads before the first batch started
		started := false
		deps.Progress = rollout.ProgressFunc(func(e rollout.Event) {
			if e.Type == rollout.EventBatchStart && !started {
				started = true
				m.mu.Lock()
				before = slices.Clone(m.reads)
				m.mu.Unlock()
			}
		})
		if _, err := rollout.Run(t.Context(), w.spec("v2"), deps); err != nil {
			t.Fatalf("Run = %v", err)
		}
		if len(before) != 0 {
			t.Errorf("unit reads before the first batch: %v, want none (one list)", before)
		}
	})
}
