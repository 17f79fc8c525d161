package release

import (
	"fmt"
	"time"
)

// PauseResult is what became of a timed pause.
type PauseResult string

// The pause results. A pause the record lists with no result was not
// reached.
const (
	PauseRunning     PauseResult = "running"     // being waited out, or the process died during it
	PausePassed      PauseResult = "passed"      // waited out with every updated instance healthy
	PauseFailed      PauseResult = "failed"      // an updated instance restarted or failed a probe during it
	PauseInterrupted PauseResult = "interrupted" // Ctrl-C or SIGTERM during it: resume waits the rest

	// A gate, a manual pause or an inconclusive analysis's pause, which no
	// process waits out.
	PauseWaiting  PauseResult = "waiting"  // the rollout is stopped here, paused
	PausePromoted PauseResult = "promoted" // passed by `sysroll promote` (see Promotion)
	PauseResumed  PauseResult = "resumed"  // a manual pause, continued by `sysroll resume`
	PauseExpired  PauseResult = "expired"  // left waiting past ExpiresAt: OnExpiry ran
	PauseAborted  PauseResult = "aborted"  // `sysroll abort` ended the rollout here
)

// PauseKind is what a pause waits for.
type PauseKind string

// The pause kinds. A timed pause is the zero value, as records before
// gates existed have it.
const (
	PauseTimed        PauseKind = ""             // waited out by the process, watched
	PauseGate         PauseKind = "gate"         // pause: {} of rollout.steps: waits for `sysroll promote`
	PauseManual       PauseKind = "manual"       // `sysroll pause`: waits for `sysroll resume`
	PauseInconclusive PauseKind = "inconclusive" // an inconclusive analysis with on_inconclusive: pause: waits for promote
)

// Promotion is who passed a gate, when and why.
type Promotion struct {
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
}

// Pause is a pause of the rollout after batch After. A timed pause of
// rollout.steps waits Duration while it watches every instance already
// updated; any other Kind stops the rollout there, recorded ResultPaused,
// until a command continues it. The record keeps what resume and promote
// need (how long was already waited, and which process each watched
// instance ran) and what history shows.
type Pause struct {
	// After is the index into Record.Batches of the batch it follows.
	After    int           `json:"after"`
	Kind     PauseKind     `json:"kind,omitempty"`
	Duration time.Duration `json:"duration_ns,omitempty"`
	Result   PauseResult   `json:"result,omitempty"`
	Started  time.Time     `json:"started,omitzero"`
	Ended    time.Time     `json:"ended,omitzero"`
	// Waited is the watched time so far, saved as the pause goes on: a
	// resume waits only Duration - Waited, and never counts time nobody
	// watched.
	Waited time.Duration `json:"waited_ns,omitempty"`
	// Watch is each watched instance's process when the pause began: a
	// resume compares the live units with it, so a restart while no sysroll
	// process watched still fails the batch.
	Watch []Watched `json:"watch,omitempty"`
	// Message says why the pause failed or stopped.
	Message string `json:"message,omitempty"`
	// By and Reason are who asked for a manual pause and why, or what
	// made an inconclusive pause.
	By     string `json:"by,omitempty"`
	Reason string `json:"reason,omitempty"`
	// ExpiresAt is when a waiting pause runs OnExpiry; Timer is the
	// transient systemd timer that runs it with no sysroll process alive.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	OnExpiry  string    `json:"on_expiry,omitempty"`
	Timer     string    `json:"timer,omitempty"`
	// Promotion is set once `sysroll promote` passed the pause.
	Promotion *Promotion `json:"promotion,omitempty"`
}

// Waits reports whether the pause is one no process waits out: the rollout
// stops there until a command continues it.
func (p Pause) Waits() bool { return p.Kind != PauseTimed }

// Label names the pause for a person: "pause 15s", "approval gate",
// "manual pause", "inconclusive-analysis pause".
func (p Pause) Label() string {
	switch p.Kind {
	case PauseGate:
		return "approval gate"
	case PauseManual:
		return "manual pause"
	case PauseInconclusive:
		return "pause for an inconclusive analysis"
	}
	return "pause " + p.Duration.String()
}

// Waiting returns the index of the pause the record is stopped at, or -1.
func (r Record) Waiting() int {
	for i, p := range r.Pauses {
		if p.Result == PauseWaiting {
			return i
		}
	}
	return -1
}

// Watched is one instance's process as a pause began.
type Watched struct {
	Name         string `json:"name"`
	InvocationID string `json:"invocation_id"`
	NRestarts    uint32 `json:"nrestarts"`
}

// Done reports whether the pause needs no more waiting.
func (p Pause) Done() bool {
	switch p.Result {
	case "", PauseRunning, PauseInterrupted, PauseWaiting:
		return false
	}
	return true
}

// PauseNote says, for a rollout whose process is gone, whether it was in a
// timed pause and how far: ", during the 30s pause after batch 1 (10s of it
// watched)"; "" when no pause was under way.
func (r Record) PauseNote() string {
	for _, p := range r.Pauses {
		if !p.Waits() && (p.Result == PauseRunning || p.Result == PauseInterrupted) {
			return fmt.Sprintf(", during the %s pause after batch %d (%s of it watched; deploy --resume waits the rest, watched)",
				p.Duration, p.After+1, p.Waited.Round(time.Second))
		}
	}
	return ""
}
