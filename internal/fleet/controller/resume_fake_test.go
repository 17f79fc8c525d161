package controller

import (
	"context"
	"sync"
	"testing"

	"github.com/sysroll/sysroll/internal/fleet/journal"
	"github.com/sysroll/sysroll/internal/release"
)

// claimFake is a fakeHost that also holds claims and a unit state, as a
// resume asks: what the host reports after its controller was lost.
type claimFake struct {
	*fakeHost
	cmu    sync.Mutex
	claims map[string][]byte // by fleet ID, as written
	active bool              // the step's unit still runs
	rec    *release.Record   // its record before any step of this test
}

func (h *claimFake) Claims(context.Context, string) ([]*journal.Claim, error) {
	h.w.add(h.name, "claims")
	h.cmu.Lock()
	defer h.cmu.Unlock()
	var out []*journal.Claim
	for _, data := range h.claims {
		c, err := journal.DecodeClaim(h.name, data)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func (h *claimFake) UnitActive(context.Context, string) (bool, error) {
	h.w.add(h.name, "unit-active")
	return h.active, nil
}

func (h *claimFake) WriteClaim(ctx context.Context, service, id string, data []byte) error {
	h.cmu.Lock()
	if h.claims == nil {
		h.claims = map[string][]byte{}
	}
	h.claims[id] = append([]byte(nil), data...)
	h.cmu.Unlock()
	return h.fakeHost.WriteClaim(ctx, service, id, data)
}

// Record is the planted record until a step of the test ran, then the
// step's own; a step's "unit" ends with its step.
func (h *claimFake) Record(ctx context.Context, service, id string) (*release.Record, error) {
	h.mu.Lock()
	steps := h.steps
	h.mu.Unlock()
	if steps > 0 {
		h.active = false
		return h.fakeHost.Record(ctx, service, id)
	}
	return h.rec, nil
}

// plant writes h's claim of j onto h.
func (h *claimFake) plant(t testing.TB, j *journal.Journal) {
	t.Helper()
	c, ok := journal.ClaimFor(j, h.name)
	if !ok {
		t.Fatalf("%s not in journal %s", h.name, j.ID)
	}
	data, err := journal.EncodeClaim(c)
	if err != nil {
		t.Fatal(err)
	}
	h.cmu.Lock()
	defer h.cmu.Unlock()
	if h.claims == nil {
		h.claims = map[string][]byte{}
	}
	h.claims[j.ID] = data
}
