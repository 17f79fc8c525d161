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
)

// Pause is a timed pause of rollout.steps: after batch After, the rollout
// waits Duration while it watches every instance already updated. The
// record keeps what resume needs (how long was already waited, and which
// process each watched instance ran) and what history shows.
type Pause struct {
	// After is the index into Record.Batches of the batch it follows.
	After    int           `json:"after"`
	Duration time.Duration `json:"duration_ns"`
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
}

// Watched is one instance's process as a pause began.
type Watched struct {
	Name         string `json:"name"`
	InvocationID string `json:"invocation_id"`
	NRestarts    uint32 `json:"nrestarts"`
}

// Done reports whether the pause needs no more waiting.
func (p Pause) Done() bool { return p.Result == PausePassed || p.Result == PauseFailed }

// PauseNote says, for a rollout whose process is gone, whether it was in a
// timed pause and how far: ", during the 30s pause after batch 1 (10s of it
// watched)"; "" when no pause was under way.
func (r Record) PauseNote() string {
	for _, p := range r.Pauses {
		if p.Result == PauseRunning || p.Result == PauseInterrupted {
			return fmt.Sprintf(", during the %s pause after batch %d (%s of it watched; deploy --resume waits the rest, watched)",
				p.Duration, p.After+1, p.Waited.Round(time.Second))
		}
	}
	return ""
}
