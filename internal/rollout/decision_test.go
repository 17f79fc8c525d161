package rollout

import (
	"testing"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/systemd"
)

func TestResumeDecision(t *testing.T) {
	up := systemd.UnitState{ActiveState: systemd.Active, SubState: "running"}
	down := systemd.UnitState{ActiveState: systemd.Failed, SubState: "failed"}
	in := func(p release.Phase) release.Instance {
		return release.Instance{Name: "8082", From: "v1", To: "v2", Phase: p}
	}
	tests := []struct {
		phase release.Phase
		live  Live
		want  ResumeAction
	}{
		{release.PhasePending, Live{"v1", up}, ResumeRun},
		{release.PhaseDrain, Live{"v1", up}, ResumeRun},
		{release.PhaseSwitch, Live{"v1", up}, ResumeRun},
		{release.PhaseSwitch, Live{"v2", up}, ResumeRun}, // switched, not restarted: still runs v1
		{release.PhaseRestart, Live{"v2", up}, ResumeRegate},
		{release.PhaseRestart, Live{"v1", up}, ResumeRun},
		{release.PhaseGate, Live{"v2", up}, ResumeRegate},
		{release.PhaseGate, Live{"v2", down}, ResumeRegate},
		{release.PhaseUndrain, Live{"v2", up}, ResumeRegate},
		{release.PhaseDone, Live{"v2", up}, ResumeSkip},
		{release.PhaseDone, Live{"v2", down}, ResumeRegate},
		{release.PhaseDone, Live{"v1", up}, ResumeRun}, // someone moved it back
		{release.PhaseFailed, Live{"v2", up}, ResumeRevert},
		{release.PhaseRevert, Live{"v1", up}, ResumeRevert},
		{release.PhaseReverted, Live{"v1", up}, ResumeSkip},
		{release.PhaseReverted, Live{"v1", down}, ResumeRevert},
		{release.PhaseReverted, Live{"v2", up}, ResumeRevert},
	}
	for _, tt := range tests {
		if got := ResumeDecision(in(tt.phase), tt.live); got != tt.want {
			t.Errorf("ResumeDecision(%s, on %s, running=%v) = %s, want %s",
				tt.phase, tt.live.Current, tt.live.Unit.Running(), got, tt.want)
		}
	}
}

func TestRollbackDecision(t *testing.T) {
	up := systemd.UnitState{ActiveState: systemd.Active, SubState: "running"}
	down := systemd.UnitState{ActiveState: systemd.Inactive, SubState: "dead"}
	tests := []struct {
		phase release.Phase
		batch int
		live  Live
		want  bool
	}{
		{release.PhasePending, 2, Live{"v1", up}, false},
		{release.PhasePending, 2, Live{"v1", down}, false}, // down, but not our doing
		{release.PhasePending, 2, Live{"v2", up}, true},    // moved: put back
		{release.PhaseReverted, 1, Live{"v1", down}, true},
		{release.PhaseReverted, 1, Live{"v1", up}, false},
		{release.PhaseDone, 0, Live{"v2", up}, true},
		{release.PhaseDone, -1, Live{"v1", up}, false}, // already on the target before: From is To
		{release.PhaseDrain, 1, Live{"v1", up}, true},  // may be drained
		{release.PhaseGate, 1, Live{"v2", up}, true},
		{release.PhaseFailed, 1, Live{"v2", down}, true},
	}
	for _, tt := range tests {
		in := release.Instance{Name: "8082", From: "v1", To: "v2", Phase: tt.phase, Batch: tt.batch}
		if got := RollbackDecision(in, tt.live); got != tt.want {
			t.Errorf("RollbackDecision(%s, batch %d, on %s) = %v, want %v", tt.phase, tt.batch, tt.live.Current, got, tt.want)
		}
	}
}
