package plan_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/fleet/plan"
)

func TestResumeHost(t *testing.T) {
	const id = "f-20261201-1"
	rec := func(result string) *plan.HostRecord { return &plan.HostRecord{FleetID: id, Result: result} }
	rolling := plan.Journaled{Phase: plan.PhaseRolling, Offset: 4096, BootID: "boot-1"}
	up := plan.HostNow{Reachable: true, BootID: "boot-1"}
	tests := []struct {
		name   string
		j      plan.Journaled
		now    plan.HostNow
		want   plan.ResumeAction
		offset int64
		result plan.HostResult
		reason string
	}{
		{"rolling, unit active: reattach at the saved offset", rolling, plan.HostNow{Reachable: true, BootID: "boot-1", UnitActive: true},
			plan.ResumeReattach, 4096, "", "reattaching at event offset 4096"},
		{"rolling, unit gone, succeeded: done", rolling, plan.HostNow{Reachable: true, BootID: "boot-1", Record: rec("succeeded")},
			plan.ResumeDone, 0, "", "ended succeeded"},
		{"rolling, unit gone, rolled-back: failure action", rolling, plan.HostNow{Reachable: true, BootID: "boot-1", Record: rec("rolled-back")},
			plan.ResumeFailure, 0, plan.HostRolledBack, "applying the failure action"},
		{"rolling, unit gone, failed: failure action", rolling, plan.HostNow{Reachable: true, Record: rec("failed")},
			plan.ResumeFailure, 0, plan.HostFailed, ""},
		{"rolling, unit gone, halted: failure action", rolling, plan.HostNow{Reachable: true, Record: rec("halted")},
			plan.ResumeFailure, 0, plan.HostHalted, ""},
		{"rolling, unit gone, running, same boot: killed, deploy --resume", rolling, plan.HostNow{Reachable: true, BootID: "boot-1", Record: rec("running")},
			plan.ResumeStep, 0, "", "in the same boot (its process was killed)"},
		{"rolling, unit gone, running, new boot: deploy --resume after reboot", rolling, plan.HostNow{Reachable: true, BootID: "boot-2", Record: rec("running")},
			plan.ResumeStep, 0, "", "after a reboot (boot ID changed)"},
		{"rolling, unit gone, interrupted: deploy --resume", rolling, plan.HostNow{Reachable: true, BootID: "boot-1", Record: rec("interrupted")},
			plan.ResumeStep, 0, "", "record interrupted"},
		{"rolling, unit gone, no record: start again", rolling, up,
			plan.ResumeStart, 0, "", "nothing was changed"},
		{"rolling, record of another fleet rollout is no record", rolling, plan.HostNow{Reachable: true, Record: &plan.HostRecord{FleetID: "other", Result: "succeeded"}},
			plan.ResumeStart, 0, "", ""},
		{"rolling, unknown record result: refuse", rolling, plan.HostNow{Reachable: true, Record: rec("sideways")},
			plan.ResumeRefuse, 0, "", `"sideways"`},
		{"unknown phase, host back with unit active: reattach", plan.Journaled{Phase: plan.PhaseUnknown, Offset: 12}, plan.HostNow{Reachable: true, UnitActive: true},
			plan.ResumeReattach, 12, "", ""},
		{"unknown phase, host back, succeeded: done", plan.Journaled{Phase: plan.PhaseUnknown}, plan.HostNow{Reachable: true, Record: rec("succeeded")},
			plan.ResumeDone, 0, "", ""},
		{"unreachable: wait", rolling, plan.HostNow{UnreachableFor: 2 * time.Minute},
			plan.ResumeWait, 0, "", "waiting up to reattach_deadline 10m0s"},
		{"unreachable past the deadline: halt", rolling, plan.HostNow{UnreachableFor: 10 * time.Minute},
			plan.ResumeHalt, 0, "", "other hosts are not rolled back on an unknown"},
		{"pending and unreachable: wait too", plan.Journaled{Phase: plan.PhasePending}, plan.HostNow{},
			plan.ResumeWait, 0, "", ""},
		{"host key changed: refuse, whatever the phase", plan.Journaled{Phase: plan.PhaseDone}, plan.HostNow{Reachable: true, HostKeyChanged: true},
			plan.ResumeRefuse, 0, "", "host key changed"},
		{"host key changed wins over unreachable", rolling, plan.HostNow{HostKeyChanged: true, UnreachableFor: time.Hour},
			plan.ResumeRefuse, 0, "", ""},
		{"staged, nothing on the host: continue per plan", plan.Journaled{Phase: plan.PhaseStaged}, up,
			plan.ResumeContinue, 0, "", "after the fleet preflight"},
		{"pending: continue", plan.Journaled{Phase: plan.PhasePending}, up, plan.ResumeContinue, 0, "", ""},
		{"staging: continue (staging is idempotent)", plan.Journaled{Phase: plan.PhaseStaging}, up, plan.ResumeContinue, 0, "", ""},
		{"staged but the host runs this step: reattach from the start", plan.Journaled{Phase: plan.PhaseStaged, Offset: 99}, plan.HostNow{Reachable: true, UnitActive: true},
			plan.ResumeReattach, 0, "", ""},
		{"staged but the host recorded success: done", plan.Journaled{Phase: plan.PhaseStaged}, plan.HostNow{Reachable: true, Record: rec("succeeded")},
			plan.ResumeDone, 0, "", ""},
		{"done: done", plan.Journaled{Phase: plan.PhaseDone}, up, plan.ResumeDone, 0, "", ""},
		{"reverted: done", plan.Journaled{Phase: plan.PhaseReverted}, up, plan.ResumeDone, 0, "", "rolled back"},
		{"failed: feed the failure action with the recorded result", plan.Journaled{Phase: plan.PhaseFailed}, plan.HostNow{Reachable: true, Record: rec("halted")},
			plan.ResumeFailure, 0, plan.HostHalted, ""},
		{"failed without a record: failed", plan.Journaled{Phase: plan.PhaseFailed}, up, plan.ResumeFailure, 0, plan.HostFailed, ""},
		{"reverting, unit active: reattach", plan.Journaled{Phase: plan.PhaseReverting, Offset: 7}, plan.HostNow{Reachable: true, UnitActive: true},
			plan.ResumeReattach, 7, "", "rollback still running"},
		{"reverting, unit gone: revert again", plan.Journaled{Phase: plan.PhaseReverting, BootID: "boot-1"}, plan.HostNow{Reachable: true, BootID: "boot-2"},
			plan.ResumeRevert, 0, "", "after a reboot"},
		{"phase this version does not know: refuse", plan.Journaled{Phase: "teleporting"}, up, plan.ResumeRefuse, 0, "", `"teleporting"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := plan.ResumeHost(id, tt.j, tt.now, plan.Strategy{})
			if got.Action != tt.want || got.Offset != tt.offset || got.Result != tt.result {
				t.Errorf("ResumeHost = %+v, want action %s offset %d result %q", got, tt.want, tt.offset, tt.result)
			}
			if !strings.Contains(got.Reason, tt.reason) || got.Reason == "" {
				t.Errorf("reason %q, want one with %q", got.Reason, tt.reason)
			}
		})
	}
}

func TestResumeHostDeadlineFromStrategy(t *testing.T) {
	s := plan.Strategy{ReattachDeadline: time.Minute}
	j := plan.Journaled{Phase: plan.PhaseRolling}
	if got := plan.ResumeHost("f", j, plan.HostNow{UnreachableFor: 59 * time.Second}, s); got.Action != plan.ResumeWait {
		t.Errorf("59s of a 1m deadline: %s, want wait", got.Action)
	}
	if got := plan.ResumeHost("f", j, plan.HostNow{UnreachableFor: time.Minute}, s); got.Action != plan.ResumeHalt {
		t.Errorf("1m of a 1m deadline: %s, want halt", got.Action)
	}
}
