package health

import (
	"errors"
	"fmt"

	"github.com/sysroll/sysroll/internal/systemd"
)

// Sentinel errors a gate fails with. The returned errors wrap one of them
// with the reason; decide with errors.Is.
var (
	// ErrNotReady: the unit never ran, or the probes never passed
	// HealthyThreshold times in a row, within the deadline.
	ErrNotReady = errors.New("not ready")
	// ErrUnhealthy: once ready, the probes failed UnhealthyThreshold times in a row.
	ErrUnhealthy = errors.New("unhealthy")
	// ErrCrashed: the unit failed, stopped, or was restarted (new InvocationID,
	// NRestarts went up) while the gate watched it.
	ErrCrashed = errors.New("crashed")
	// ErrDeadline: the instance became ready but did not stay healthy for
	// HealthyFor before the deadline.
	ErrDeadline = errors.New("deadline exceeded")
)

// CheckUnit judges systemd's signals: base is the unit's state when the gate
// began, cur its state now. It returns nil when the unit is running, an error
// wrapping ErrCrashed when the unit died or was restarted since base, and one
// wrapping ErrNotReady while it is still starting (for Type=notify: no READY=1
// yet).
func CheckUnit(base, cur systemd.UnitState) error {
	switch {
	case cur.LoadState != "" && cur.LoadState != "loaded":
		return fmt.Errorf("%w: unit %s is %s", ErrCrashed, cur.Name, cur.LoadState)
	case base.InvocationID != "" && cur.InvocationID != base.InvocationID:
		return fmt.Errorf("%w: %s was restarted (new invocation, NRestarts %d, last result %s)",
			ErrCrashed, cur.Name, cur.NRestarts, orUnknown(cur.Result))
	case cur.NRestarts > base.NRestarts:
		return fmt.Errorf("%w: %s was restarted by systemd (NRestarts %d → %d)",
			ErrCrashed, cur.Name, base.NRestarts, cur.NRestarts)
	case cur.ActiveState == systemd.Failed, cur.SubState == "auto-restart":
		return fmt.Errorf("%w: %s is %s (%s), result %s, exit status %d",
			ErrCrashed, cur.Name, cur.ActiveState, cur.SubState, orUnknown(cur.Result), cur.ExecMainStatus)
	case cur.ActiveState == systemd.Inactive, cur.ActiveState == systemd.Deactivating:
		return fmt.Errorf("%w: %s is %s (%s)", ErrCrashed, cur.Name, cur.ActiveState, cur.SubState)
	case !cur.Running():
		return fmt.Errorf("%w: %s is %s (%s)", ErrNotReady, cur.Name, cur.ActiveState, cur.SubState)
	}
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
