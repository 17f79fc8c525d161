package release

import (
	"fmt"
	"time"
)

// Phase is where an instance (or a whole rollout) stands. Phases are recorded
// before the step they name is carried out, so after a crash the record says
// which step may have been half-done.
type Phase string

// Instance phases, in the order a rollout walks them.
const (
	PhasePending  Phase = "pending"  // not reached yet: never touched
	PhaseDrain    Phase = "drain"    // being taken out of traffic
	PhaseSwitch   Phase = "switch"   // release symlink being swapped
	PhaseRestart  Phase = "restart"  // restart job queued
	PhaseGate     Phase = "gate"     // waiting for ready + healthy_for
	PhaseUndrain  Phase = "undrain"  // being returned to traffic
	PhaseDone     Phase = "done"     // on the target release and healthy
	PhaseFailed   Phase = "failed"   // gate failed; rollback decides next
	PhaseRevert   Phase = "revert"   // being put back on its previous release
	PhaseReverted Phase = "reverted" // back on its previous release and healthy
)

// Result is how a rollout ended.
type Result string

// Rollout results.
const (
	ResultRunning     Result = "running"     // in progress, or interrupted (see Record.PID)
	ResultSucceeded   Result = "succeeded"   // every instance on the target release
	ResultRolledBack  Result = "rolled-back" // failed; failed batch (or all) reverted
	ResultHalted      Result = "halted"      // failed; left as is (failure_action: halt)
	ResultFailed      Result = "failed"      // failed and could not be fully reverted
	ResultInterrupted Result = "interrupted" // stopped by a signal; current step finished or reverted
	ResultPaused      Result = "paused"      // stopped at an approval gate or a pause request, nothing failed; no process, no lock
)

// Kind says what a rollout was asked to do.
type Kind string

// Rollout kinds.
const (
	KindDeploy   Kind = "deploy"
	KindRestart  Kind = "restart"
	KindRollback Kind = "rollback"
)

// Record is the durable account of one rollout. It is rewritten atomically
// at every step, so it always tells the truth up to the last step begun.
type Record struct {
	ID        string     `json:"id"`
	Service   string     `json:"service"`
	Kind      Kind       `json:"kind"`
	From      string     `json:"from,omitempty"` // release most instances were on
	To        string     `json:"to"`             // target release
	User      string     `json:"user"`
	Host      string     `json:"host,omitempty"`
	PID       int        `json:"pid"` // sysroll process running it
	Started   time.Time  `json:"started"`
	Ended     time.Time  `json:"ended,omitzero"`
	Result    Result     `json:"result"`
	Reason    string     `json:"reason,omitempty"` // why it failed or stopped
	Batches   [][]string `json:"batches"`          // instance names per batch, as planned
	Instances []Instance `json:"instances"`
	// Undo says the rollout is being (or was) undone by request (rollback
	// of this record): resuming it completes the undo, toward each
	// instance's From, whatever its failure_action.
	Undo bool `json:"undo,omitempty"`
	// FleetID is the fleet rollout this one is a host's part of (--fleet),
	// so the controller and `history --json` can find it; "" for a local
	// rollout.
	FleetID string `json:"fleet_id,omitempty"`
	// BootID is the kernel's boot ID when the rollout started: a resumed
	// rollout whose host booted since keeps the first one, so a reader
	// can tell the rollout outlived a reboot.
	BootID string `json:"boot_id,omitempty"`
	// Pauses are the timed pauses of rollout.steps, in order, and what
	// became of each (pause.go); none for a plan without pauses.
	Pauses []Pause `json:"pauses,omitempty"`
	// Analysis is each analysed batch's metric analysis, in batch order
	// (analysis: block; none without it).
	Analysis []BatchAnalysis `json:"analysis,omitempty"`
}

// Instance is one instance's part in a rollout.
type Instance struct {
	Name    string    `json:"name"`
	From    string    `json:"from"` // release before the rollout touched it
	To      string    `json:"to"`
	Phase   Phase     `json:"phase"`
	Batch   int       `json:"batch"`
	Started time.Time `json:"started,omitzero"`
	Ended   time.Time `json:"ended,omitzero"`
	Error   string    `json:"error,omitempty"`
	// InvocationID before and after the restart: proof the unit was (or was
	// not) restarted.
	InvocationBefore string `json:"invocation_before,omitempty"`
	InvocationAfter  string `json:"invocation_after,omitempty"`
	// Removed says the instance left the service (apply) before the
	// rollout finished: it is left alone from then on, and Phase is what
	// it had reached.
	Removed bool `json:"removed,omitempty"`
}

// MaxFleetIDLen bounds a fleet ID: it is part of a unit name
// (sysroll-fleet-NAME-ID.service) and of file names, both limited.
const MaxFleetIDLen = 64

// ValidFleetID checks a fleet rollout ID: 1 to 64 of a-z, 0-9 and '-', so
// it is safe as it is in a unit name, a file name and a shell word.
func ValidFleetID(id string) error {
	if id == "" {
		return fmt.Errorf("invalid fleet ID %q: must not be empty", id)
	}
	if len(id) > MaxFleetIDLen {
		return fmt.Errorf("invalid fleet ID %q: %d characters, more than the %d allowed", id, len(id), MaxFleetIDLen)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("invalid fleet ID %q: byte %d is %s: want only a-z 0-9 - (it names units and files)", id, i, describeByte(c))
		}
	}
	return nil
}

// ValidVersion checks a release name as Stage and Get do, for callers that
// must tell bad input from a release that is not there.
func ValidVersion(v string) error { return validName("version", v) }
