package journal

import (
	"time"

	"github.com/sysroll/sysroll/internal/fleet/plan"
)

// Schema is the version string of the journal; a journal with another is
// refused, never guessed at.
const Schema = "sysroll.fleet.journal/v1"

// Kind is what the fleet rollout does on each host.
type Kind string

// The fleet rollout kinds (release.Kind's).
const (
	KindDeploy   Kind = "deploy"
	KindRollback Kind = "rollback"
	KindRestart  Kind = "restart"
)

// Result is how the fleet rollout as a whole stands.
type Result string

// The fleet rollout results.
const (
	ResultRunning     Result = "running"     // in progress, or its controller was lost
	ResultSucceeded   Result = "succeeded"   // every host done
	ResultRolledBack  Result = "rolled-back" // failed; rolled back per the failure action
	ResultHalted      Result = "halted"      // stopped; hosts left as they are
	ResultFailed      Result = "failed"      // failed and could not be fully rolled back
	ResultInterrupted Result = "interrupted" // stopped by the operator; resumable
)

// Final reports whether a fleet rollout with this result is over for
// good: nothing is left to resume, so its claims block nothing. A halted,
// failed or interrupted one is not: it waits for `deploy --resume` or a
// person.
func (r Result) Final() bool { return r == ResultSucceeded || r == ResultRolledBack }

// Journal is the controller's record of one fleet rollout.
type Journal struct {
	Schema string `json:"schema"`
	// ID names the fleet rollout; it is in every host's unit name and claim.
	ID      string `json:"id"`
	Service string `json:"service"`
	Kind    Kind   `json:"kind"`
	// Target is the release rolled out (empty for a restart).
	Target string `json:"target,omitempty"`
	// Controller is who started it, user@machine.
	Controller string    `json:"controller"`
	Started    time.Time `json:"started"`
	Updated    time.Time `json:"updated"`
	Result     Result    `json:"result"`
	Strategy   Strategy  `json:"strategy"`
	// Batches are the planned host batches, in order.
	Batches [][]string `json:"batches"`
	// Hosts holds one entry per planned host, in plan order.
	Hosts []Host `json:"hosts"`
	// Skipped are the hosts left out of the plan by --skip-unreachable:
	// still on their old release, and said so by every report.
	Skipped []Skipped `json:"skipped,omitempty"`
	// Heartbeat is when the controller last refreshed its lease (the
	// claims' heartbeat): every Lease/LeaseBeats while it runs.
	Heartbeat time.Time `json:"heartbeat,omitzero"`
	// TakeOvers are the controllers that went on with the rollout after
	// the one that started it, in order (Owner is the last).
	TakeOvers []TakeOver `json:"take_overs,omitempty"`
	// Released: the controller ended (halted, interrupted, done) and
	// drives the rollout no more: the lease is free at once, whatever the
	// heartbeat. A killed controller never releases: its lease expires.
	Released bool `json:"released,omitempty"`
}

// Skipped is a host left out of the rollout, and why.
type Skipped struct {
	Name string `json:"name"`
	Why  string `json:"why"`
}

// Host is one host's part of the fleet rollout.
type Host struct {
	Name  string     `json:"name"`
	Batch int        `json:"batch"` // index into Journal.Batches
	Phase plan.Phase `json:"phase"`
	// RolloutID is the host's own rollout record, once started.
	RolloutID string `json:"rollout_id,omitempty"`
	// Unit is the transient unit running the host step.
	Unit string `json:"unit,omitempty"`
	// Offset is how far the host's events file was read.
	Offset int64 `json:"offset"`
	// BootID is the host's boot ID when its step started: a different one
	// later means it rebooted.
	BootID string `json:"boot_id,omitempty"`
	// Result is how the host step ended, once known.
	Result plan.HostResult `json:"result,omitempty"`
	// Error says why it failed, or why it is unknown.
	Error   string    `json:"error,omitempty"`
	Updated time.Time `json:"updated"`
}

// Host returns the entry of the named host, or nil.
func (j *Journal) Host(name string) *Host {
	for i := range j.Hosts {
		if j.Hosts[i].Name == name {
			return &j.Hosts[i]
		}
	}
	return nil
}
