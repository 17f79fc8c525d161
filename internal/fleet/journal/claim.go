package journal

import (
	"time"

	"github.com/sysroll/sysroll/internal/fleet/plan"
)

// ClaimSchema is the version string of a claim.
const ClaimSchema = "sysroll.fleet.claim/v1"

// Claim is what the controller leaves on a host of a fleet rollout, at
// /var/lib/sysroll/NAME/fleet/ID.json: the whole plan and that host's
// part. While a claim is unfinished the host refuses a local deploy and
// any other fleet rollout (no TTL: an unfinished fleet rollout should
// block others; --take-over replaces it, showing the holder). Any
// controller can rebuild the journal from the claims (Rebuild).
type Claim struct {
	Schema     string     `json:"schema"`
	FleetID    string     `json:"fleet_id"`
	Service    string     `json:"service"`
	Kind       Kind       `json:"kind"`
	Target     string     `json:"target,omitempty"`
	Controller string     `json:"controller"`
	Created    time.Time  `json:"created"`
	Strategy   Strategy   `json:"strategy"`
	Batches    [][]string `json:"batches"`
	Skipped    []Skipped  `json:"skipped,omitempty"`
	// Host is the host this claim is on, and Part its part, as the
	// controller last wrote it.
	Host string `json:"host"`
	Part Part   `json:"part"`
	// Finished: the fleet rollout ended for good (Result.Final), so the
	// claim no longer blocks anything; kept for history until pruned. A
	// host that is done while the rollout goes on stays claimed:
	// rollback-all may still need it.
	Finished bool `json:"finished,omitempty"`
	// Heartbeat is when the controller last refreshed the lease; TakeOvers
	// who went on with the rollout after its starter (Owner).
	Heartbeat time.Time  `json:"heartbeat,omitzero"`
	TakeOvers []TakeOver `json:"take_overs,omitempty"`
	Released  bool       `json:"released,omitempty"`
}

// Part is a host's part of the rollout, as its claim records it.
type Part struct {
	Batch     int             `json:"batch"`
	Phase     plan.Phase      `json:"phase"`
	RolloutID string          `json:"rollout_id,omitempty"`
	Unit      string          `json:"unit,omitempty"`
	BootID    string          `json:"boot_id,omitempty"`
	Result    plan.HostResult `json:"result,omitempty"`
	Updated   time.Time       `json:"updated"`
}

// ClaimFor writes the claim for one host of j.
func ClaimFor(j *Journal, host string) (*Claim, bool) {
	h := j.Host(host)
	if h == nil {
		return nil, false
	}
	return &Claim{
		Schema:     ClaimSchema,
		FleetID:    j.ID,
		Service:    j.Service,
		Kind:       j.Kind,
		Target:     j.Target,
		Controller: j.Controller,
		Created:    j.Started,
		Strategy:   j.Strategy,
		Batches:    cloneBatches(j.Batches),
		Skipped:    append([]Skipped(nil), j.Skipped...),
		Host:       host,
		Part: Part{Batch: h.Batch, Phase: h.Phase, RolloutID: h.RolloutID, Unit: h.Unit,
			BootID: h.BootID, Result: h.Result, Updated: h.Updated},
		Finished:  j.Result.Final(),
		Heartbeat: j.Heartbeat,
		TakeOvers: append([]TakeOver(nil), j.TakeOvers...),
		Released:  j.Released,
	}, true
}

func cloneBatches(b [][]string) [][]string {
	out := make([][]string, len(b))
	for i := range b {
		out[i] = append([]string(nil), b[i]...)
	}
	return out
}
