package host

import (
	"testing"

	"github.com/sysroll/sysroll/internal/release"
)

// A plain rollback undoes the newest failed rollout only if that rollout
// moved an instance off its release; otherwise the undo would do nothing
// and report "rolled-back" (seen on real systemd: a restart failed on a
// masked instance, reverted, then `rollback` left everything on v2).
func TestMovedNothing(t *testing.T) {
	in := func(phase release.Phase, from, to string) release.Instance {
		return release.Instance{Phase: phase, From: from, To: to}
	}
	for _, tc := range []struct {
		name  string
		insts []release.Instance
		want  bool
	}{
		{"refused by the preflight", []release.Instance{in(release.PhasePending, "v1", "v2"), in(release.PhasePending, "v1", "v2")}, true},
		{"a failed restart, reverted", []release.Instance{in(release.PhaseReverted, "v2", "v2"), in(release.PhasePending, "v2", "v2")}, true},
		{"a failed restart, its revert failed", []release.Instance{in(release.PhaseFailed, "v2", "v2")}, true},
		{"a failed deploy, its batch reverted", []release.Instance{in(release.PhaseReverted, "v1", "v2"), in(release.PhasePending, "v1", "v2")}, true},
		{"a halted deploy, one instance on v2", []release.Instance{in(release.PhaseDone, "v1", "v2"), in(release.PhasePending, "v1", "v2")}, false},
		{"a failed deploy, its revert failed", []release.Instance{in(release.PhaseFailed, "v1", "v2")}, false},
	} {
		if got := movedNothing(release.Record{Instances: tc.insts}); got != tc.want {
			t.Errorf("%s: movedNothing = %v, want %v", tc.name, got, tc.want)
		}
	}
}
