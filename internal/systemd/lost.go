package systemd

import (
	"context"
	"fmt"
	"time"
)

// When systemd re-executes (systemctl daemon-reexec, which a systemd package
// upgrade runs) it closes every D-Bus connection. Jobs already queued
// survive the re-exec and are carried out, but the JobRemoved signal that
// would report their result goes to connections that no longer exist. Such
// a job is resolved from the unit's own state once the Manager is connected
// again: never reported failed only because the connection dropped.

// Verdict is what a unit's state says about a job whose result was lost.
type Verdict int

const (
	// VerdictWait: a job is still queued or running for the unit, or the
	// unit is in transition: read its state again.
	VerdictWait Verdict = iota
	// VerdictDone: the unit reached the job's target state (for a start or
	// restart: as a new invocation).
	VerdictDone
	// VerdictFailed: the unit failed after the job began.
	VerdictFailed
	// VerdictRequeue: nothing shows the job ever ran (no job queued, the
	// same invocation in the same state as before): it was not queued, or
	// systemd dropped it, so queueing it again is safe.
	VerdictRequeue
)

func (v Verdict) String() string {
	switch v {
	case VerdictWait:
		return "wait"
	case VerdictDone:
		return "done"
	case VerdictFailed:
		return "failed"
	case VerdictRequeue:
		return "requeue"
	}
	return fmt.Sprintf("verdict(%d)", int(v))
}

// ResolveLostJob judges a job of kind op ("start", "stop", "restart") from
// the unit's state before the job was queued and now. It is pure.
func ResolveLostJob(op string, before, now UnitState) Verdict {
	if now.JobID != 0 {
		return VerdictWait // systemd still has a job for the unit: ours, or one replacing it
	}
	// A new invocation: systemd started the unit's processes again since
	// before. InvocationID is the proof; the main process's start time
	// covers managers that do not report one.
	fresh := now.InvocationID != before.InvocationID ||
		(!now.ExecMainStart.IsZero() && !now.ExecMainStart.Equal(before.ExecMainStart))
	switch op {
	case "stop":
		switch now.ActiveState {
		case Inactive, Failed:
			return VerdictDone
		case Active, Reloading:
			if fresh {
				// Stopped, then started again by something else (a socket,
				// a dependency): the stop itself was carried out.
				return VerdictDone
			}
			return VerdictRequeue
		}
		return VerdictWait
	default: // start, restart
		switch now.ActiveState {
		case Active, Reloading:
			if fresh || (op == "start" && (before.ActiveState == Active || before.ActiveState == Reloading)) {
				return VerdictDone // a start of an active unit is a no-op in systemd too
			}
			return VerdictRequeue
		case Failed:
			if fresh || before.ActiveState != Failed {
				return VerdictFailed
			}
			return VerdictRequeue
		case Inactive:
			if !fresh {
				return VerdictRequeue
			}
			// Started and already exited: a clean exit is what the job
			// would have reported done; the health gate judges the rest.
			if now.Result == "" || now.Result == "success" {
				return VerdictDone
			}
			return VerdictFailed
		}
		return VerdictWait // activating (incl. auto-restart), deactivating
	}
}

// lostPoll is how often AwaitLost reads the unit's state.
const lostPoll = 100 * time.Millisecond

// AwaitLost resolves a job of kind op on unit whose result was lost with
// the connection: it reads the unit's state (read must reconnect as
// needed) until ResolveLostJob decides, and requeues the job when the state
// shows it never ran. A job still in progress is waited for as long as ctx
// allows: the caller bounds it by the job's own timeout. It is shared by
// the D-Bus Manager and the fake in systemdtest, so both resolve alike.
func AwaitLost(ctx context.Context, op, unit string, before UnitState,
	read func(ctx context.Context, unit string) (UnitState, error), requeue func(ctx context.Context) error) error {
	t := time.NewTicker(lostPoll)
	defer t.Stop()
	for {
		now, err := read(ctx, unit)
		if err != nil {
			return fmt.Errorf("%s %s: the job's result was lost with the connection, and reading the unit failed: %w", op, unit, err)
		}
		switch ResolveLostJob(op, before, now) {
		case VerdictDone:
			return nil
		case VerdictFailed:
			return &JobError{Op: op, Unit: unit, Result: JobFailed}
		case VerdictRequeue:
			return requeue(ctx)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s %s: waiting for the job whose result was lost with the connection (unit %s/%s): %w",
				op, unit, now.ActiveState, now.SubState, ctx.Err())
		case <-t.C:
		}
	}
}
