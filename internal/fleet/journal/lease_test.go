package journal_test

import (
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/fleet/journal"
	"github.com/sysroll/sysroll/internal/fleet/plan"
)

func TestClaimSilence(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		claim      journal.Claim
		now        time.Time
		wantSilent time.Duration
		wantLive   bool
	}{
		{"heartbeat within the default lease", journal.Claim{Heartbeat: at}, at.Add(29 * time.Second), 29 * time.Second, true},
		{"at the lease: gone", journal.Claim{Heartbeat: at}, at.Add(30 * time.Second), 30 * time.Second, false},
		{"the claim's own lease", journal.Claim{Heartbeat: at, Strategy: journal.Strategy{Lease: "2m0s"}}, at.Add(time.Minute), time.Minute, true},
		{"a later phase change counts as heard", journal.Claim{Heartbeat: at, Part: journal.Part{Updated: at.Add(20 * time.Second)}}, at.Add(40 * time.Second), 20 * time.Second, true},
		{"no heartbeat (an older controller): the part's update", journal.Claim{Part: journal.Part{Updated: at}}, at.Add(time.Hour), time.Hour, false},
		{"released: free at once", journal.Claim{Heartbeat: at, Released: true}, at.Add(time.Second), time.Second, false},
		{"finished: holds nothing", journal.Claim{Heartbeat: at, Finished: true}, at.Add(time.Second), time.Second, false},
		{"reader's clock behind the writer's: not negative", journal.Claim{Heartbeat: at}, at.Add(-5 * time.Second), 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			silent, live := tt.claim.Silence(tt.now)
			if silent != tt.wantSilent || live != tt.wantLive {
				t.Errorf("Silence = %v, %v; want %v, %v", silent, live, tt.wantSilent, tt.wantLive)
			}
		})
	}
}

func TestOwnerAndRebuildKeepTakeOvers(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	j := &journal.Journal{Schema: journal.Schema, ID: "f1", Service: "hello", Kind: journal.KindDeploy, Target: "v2",
		Controller: "a@one", Started: at, Updated: at, Result: journal.ResultRunning,
		Strategy: journal.FromPlan(plan.Strategy{}.WithDefaults()), Batches: [][]string{{"h1"}, {"h2"}},
		Hosts: []journal.Host{{Name: "h1", Batch: 0, Phase: plan.PhaseDone, Updated: at}, {Name: "h2", Batch: 1, Phase: plan.PhaseStaged, Updated: at}}}
	if j.Owner() != "a@one" {
		t.Errorf("owner before a take-over %q", j.Owner())
	}
	old, _ := journal.ClaimFor(j, "h2") // h2 was unreachable at the take-over
	j.TakeOvers = []journal.TakeOver{{By: "b@two", From: "a@one", At: at.Add(time.Minute), Silent: "1m0s"}}
	j.Heartbeat = at.Add(time.Minute)
	cur, _ := journal.ClaimFor(j, "h1")
	if cur.Owner() != "b@two" || cur.Controller != "a@one" {
		t.Errorf("claim owner %q, started by %q", cur.Owner(), cur.Controller)
	}
	r, err := journal.Rebuild("f1", []*journal.Claim{old, cur})
	if err != nil {
		t.Fatal(err)
	}
	if r.Owner() != "b@two" || !r.Heartbeat.Equal(at.Add(time.Minute)) {
		t.Errorf("rebuilt owner %q, heartbeat %v: want the take-over's", r.Owner(), r.Heartbeat)
	}
}
