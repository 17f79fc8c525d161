package systemd

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Manager is what sysroll needs from a service manager. Implementations must be
// safe for concurrent use.
type Manager interface {
	// Reload makes systemd re-read unit files (systemctl daemon-reload).
	Reload(ctx context.Context) error
	// Start, Stop and Restart queue a job in "replace" mode and block until the
	// job finishes. A result other than "done" is returned as *JobError. A
	// result lost because the connection dropped (systemd re-executed) is
	// resolved from the unit's state (see AwaitLost), never reported as a
	// failure for that reason alone.
	Start(ctx context.Context, unit string) error
	Stop(ctx context.Context, unit string) error
	Restart(ctx context.Context, unit string) error
	// Units returns the state of every loaded unit whose name matches one of
	// the glob patterns (e.g. "hello@*.service"), sorted by name. Units that
	// are not loaded are absent.
	Units(ctx context.Context, patterns ...string) ([]UnitState, error)
	// Unit returns the state of one unit, loaded or not (LoadState tells).
	Unit(ctx context.Context, unit string) (UnitState, error)
	// EnableUnits / DisableUnits persistently enable or disable unit files
	// (systemctl enable/disable), as symlinks in /etc or the user's config.
	EnableUnits(ctx context.Context, units ...string) error
	DisableUnits(ctx context.Context, units ...string) error
	// ResetFailed clears a unit's failed state and start-rate counter.
	ResetFailed(ctx context.Context, unit string) error
	// Close releases the connection.
	Close() error
}

// ActiveState is a unit's high-level state (systemd.unit(5)).
type ActiveState string

// The active states systemd reports.
const (
	Active       ActiveState = "active"
	Reloading    ActiveState = "reloading"
	Inactive     ActiveState = "inactive"
	Failed       ActiveState = "failed"
	Activating   ActiveState = "activating"
	Deactivating ActiveState = "deactivating"
)

// UnitState is a snapshot of what systemd knows about one unit. Service-only
// fields are zero for other unit types.
type UnitState struct {
	Name        string
	Description string
	LoadState   string // "loaded", "not-found", "bad-setting", "masked", ...
	ActiveState ActiveState
	SubState    string // "running", "start", "exited", "dead", "auto-restart", ...
	// InvocationID changes every time the unit is started: two equal IDs mean
	// the unit was not restarted in between.
	InvocationID string
	// ActiveEnter is when the unit last entered the active state.
	ActiveEnter time.Time
	// MainPID is 0 when no main process runs.
	MainPID uint32
	// NRestarts counts automatic restarts (Restart=) since the last manual start.
	NRestarts uint32
	// ExecMainStatus is the exit status (or signal number) of the last main process.
	ExecMainStatus int32
	// ExecMainCode is the si_code style reason: 1 exited, 2 killed, 3 dumped.
	ExecMainCode int32
	// Result is the service's last result: "success", "exit-code", "signal", "timeout", ...
	Result string
	// ExecMainStart is when the current (or last) main process started.
	ExecMainStart time.Time
	// JobID is the id of the job queued or running for the unit; 0 when none.
	// After a lost connection it tells a job still in progress from one done.
	JobID uint32
}

// Running reports whether the unit is active and its main process runs.
func (u UnitState) Running() bool {
	return u.ActiveState == Active && u.SubState == "running"
}

// JobResult is the outcome systemd reports for a job.
type JobResult string

// Job results, as documented for StartUnit in org.freedesktop.systemd1(5).
const (
	JobDone       JobResult = "done"
	JobCanceled   JobResult = "canceled"
	JobTimeout    JobResult = "timeout"
	JobFailed     JobResult = "failed"
	JobDependency JobResult = "dependency"
	JobSkipped    JobResult = "skipped"
)

// JobError reports a job that finished with a result other than "done".
type JobError struct {
	Op     string // "start", "stop", "restart"
	Unit   string
	Result JobResult
}

func (e *JobError) Error() string {
	return fmt.Sprintf("%s %s: job %s", e.Op, e.Unit, e.Result)
}

// ErrNoSystemd is returned when there is no systemd to talk to.
var ErrNoSystemd = errors.New("no systemd service manager reachable")
