package rollout

import (
	"time"

	"github.com/sysroll/sysroll/internal/analysis"
	"github.com/sysroll/sysroll/internal/diagnose"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/traffic"
)

// Progress receives what the executor does, for the user: the CLI draws it
// on a terminal or streams it as JSON. Events arrive one at a time, in order.
type Progress interface {
	Event(Event)
}

// ProgressFunc adapts a function to Progress.
type ProgressFunc func(Event)

// Event implements Progress.
func (f ProgressFunc) Event(e Event) { f(e) }

// EventType says what an Event reports.
type EventType string

// The event types.
const (
	EventRolloutStart   EventType = "rollout-start"   // Message: what and how
	EventPreflight      EventType = "preflight"       // the instances outside a batch were checked; Message tells
	EventBatchStart     EventType = "batch-start"     // Message: the batch's instances
	EventPhase          EventType = "phase"           // Instance entered Phase
	EventInstanceDone   EventType = "instance-done"   // Instance healthy on its target; Health: last probe
	EventInstanceFailed EventType = "instance-failed" // Message: why; Health: last probe; Logs: its journal; Hints: the sandbox's fingerprints in it
	EventDecision       EventType = "decision"        // what the failures lead to; Message: Evaluate's reason
	EventRevert         EventType = "revert"          // Instance is being put back on its previous release
	EventReverted       EventType = "reverted"        // Instance back and healthy
	EventWarning        EventType = "warning"         // something the operator should know; Message tells
	EventBatchDone      EventType = "batch-done"
	EventPause          EventType = "pause"       // a timed pause after Batch begins; Wait: how long it waits; Message: what it watches
	EventPauseEnd       EventType = "pause-end"   // PauseResult: passed, failed or interrupted; Message: why it failed
	EventRolloutEnd     EventType = "rollout-end" // Result and Message: the outcome

	// The analysis: block's (analysis.go), after a batch is back in traffic.
	EventAnalysisStart   EventType = "analysis-start"   // Message: canary, baseline, schedule
	EventAnalysis        EventType = "analysis"         // one metric measured and judged; Verdict
	EventAnalysisVerdict EventType = "analysis-verdict" // the batch's analysis outcome; BatchVerdict

	// Sent by the host around the executor, in the same stream.
	EventStaged  EventType = "staged"  // a deploy staged its release; Message: version, sha256, kind
	EventTraffic EventType = "traffic" // the traffic proof's final counts; Message: its URL
)

// Event is one thing the executor did.
type Event struct {
	Service  string // the service rolled out; the executor sets it
	Time     time.Time
	Type     EventType
	Instance string
	Phase    release.Phase
	// Skipped marks a phase with nothing to do: drain and undrain of a
	// service with no balancer and no hooks. The record and the --json
	// stream keep the phase (a resume reads it); displays leave it out,
	// since nothing was taken out of traffic.
	Skipped bool
	// Batch is the index into Record.Batches (0-based); -1 when no batch applies.
	Batch   int
	Message string
	Health  string          // last probe result, for instance events
	Logs    []string        // the unit's last journal lines, for failures
	Hints   []diagnose.Hint // on instance-failed: settings that relax what the journal shows stopped it
	Result  release.Result
	// Elapsed is the time since the instance's step began (instance
	// events) or since the rollout began (the others).
	Elapsed time.Duration
	// Traffic is the traffic proof's counts (with --probe): so far on
	// instance-done and instance-failed, final on EventTraffic.
	Traffic *traffic.Snapshot
	// Wait is, on EventPause, how long the pause waits from now (all of it,
	// or what a resume has left).
	Wait time.Duration
	// PauseResult is, on EventPauseEnd, what became of the pause.
	PauseResult release.PauseResult
	// Verdict is one metric's verdict (EventAnalysis): both values, the
	// bound, the measurements with their expanded queries.
	Verdict *analysis.Verdict
	// BatchVerdict is the batch's analysis outcome (EventAnalysisVerdict).
	BatchVerdict *analysis.BatchVerdict
}
