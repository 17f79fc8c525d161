package journal_test

import (
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/fleet/journal"
	"github.com/sysroll/sysroll/internal/fleet/plan"
)

func claims(t *testing.T, j *journal.Journal, hosts ...string) []*journal.Claim {
	t.Helper()
	var out []*journal.Claim
	for _, h := range hosts {
		c, ok := journal.ClaimFor(j, h)
		if !ok {
			t.Fatalf("no claim for %s", h)
		}
		out = append(out, c)
	}
	return out
}

func TestRebuild(t *testing.T) {
	j := sample()
	// app3 is unreachable: its claim cannot be read.
	got, err := journal.Rebuild(j.ID, claims(t, j, "app4", "app1", "app2"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]plan.Phase{"app1": plan.PhaseDone, "app2": plan.PhaseRolling, "app3": plan.PhaseUnknown, "app4": plan.PhaseStaged}
	for _, h := range got.Hosts {
		if h.Phase != want[h.Name] {
			t.Errorf("host %s rebuilt as %s, want %s", h.Name, h.Phase, want[h.Name])
		}
		if h.Offset != 0 {
			t.Errorf("host %s rebuilt at offset %d, want 0 (read the events from the start)", h.Name, h.Offset)
		}
	}
	if h := got.Host("app3"); h == nil || !strings.Contains(h.Error, "no claim read") {
		t.Errorf("app3 rebuilt as %+v, want its missing claim said", h)
	}
	if h := got.Host("app2"); h.RolloutID != "20261201-120105-1" || h.BootID == "" {
		t.Errorf("app2 rebuilt as %+v, want its rollout and boot IDs from the claim", h)
	}
	if got.Result != journal.ResultRunning || got.Target != "v2" || len(got.Batches) != 3 {
		t.Errorf("rebuilt %+v", got)
	}
	if _, err := journal.Encode(got); err != nil {
		t.Errorf("rebuilt journal does not encode: %v", err)
	}
}

func TestRebuildLaterBatchWithoutClaimIsPending(t *testing.T) {
	j := sample()
	for i := range j.Hosts {
		j.Hosts[i].Phase = plan.PhaseStaged
	}
	j.Hosts[0].Phase = plan.PhaseRolling
	got, err := journal.Rebuild(j.ID, claims(t, j, "app1", "app2"))
	if err != nil {
		t.Fatal(err)
	}
	if p := got.Host("app4").Phase; p != plan.PhasePending {
		t.Errorf("app4 (batch 3, no claim, nothing started past batch 1) rebuilt as %s, want pending", p)
	}
	if p := got.Host("app3").Phase; p != plan.PhasePending {
		t.Errorf("app3 (batch 2) rebuilt as %s, want pending", p)
	}
}

func TestRebuildRefuses(t *testing.T) {
	j := sample()
	other := sample()
	other.Target = "v3"
	mixed := append(claims(t, j, "app1"), claims(t, other, "app2")...)
	if _, err := journal.Rebuild(j.ID, mixed); err == nil || !strings.Contains(err.Error(), "describe different rollouts") {
		t.Errorf("Rebuild of disagreeing claims = %v", err)
	}
	if _, err := journal.Rebuild("f-other", claims(t, j, "app1")); err == nil || !strings.Contains(err.Error(), "no host holds a claim") {
		t.Errorf("Rebuild without a claim of the id = %v", err)
	}
	twice := claims(t, j, "app1", "app1")
	if _, err := journal.Rebuild(j.ID, twice); err == nil || !strings.Contains(err.Error(), "two claims for host app1") {
		t.Errorf("Rebuild with two claims of one host = %v", err)
	}
	bad := claims(t, j, "app1")
	bad[0].Part.Phase = "sleeping"
	if _, err := journal.Rebuild(j.ID, bad); err == nil || !strings.Contains(err.Error(), "claim on app1") {
		t.Errorf("Rebuild with an invalid claim = %v", err)
	}
}
