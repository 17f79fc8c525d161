package plan

import (
	"fmt"
	"time"
)

// Phase is where a host stands in a fleet rollout, as the fleet journal
// records it. Phases are saved before the controller acts on them, so a
// phase says the act may be half-done.
type Phase string

// The host phases.
const (
	PhasePending   Phase = "pending"   // not reached yet
	PhaseStaging   Phase = "staging"   // binary and release being copied
	PhaseStaged    Phase = "staged"    // release staged and checked; no instance touched
	PhaseRolling   Phase = "rolling"   // host step started (or about to) as a transient unit
	PhaseDone      Phase = "done"      // host step succeeded
	PhaseFailed    Phase = "failed"    // host step failed; the failure action decides
	PhaseReverting Phase = "reverting" // being rolled back by the fleet's failure action
	PhaseReverted  Phase = "reverted"  // rolled back
	PhaseUnknown   Phase = "unknown"   // lost while rolling: its end was not seen
)

// Phases lists every phase, for validation.
var Phases = []Phase{PhasePending, PhaseStaging, PhaseStaged, PhaseRolling, PhaseDone,
	PhaseFailed, PhaseReverting, PhaseReverted, PhaseUnknown}

// Journaled is what the fleet journal says of one host.
type Journaled struct {
	Phase  Phase
	Offset int64  // events read so far from the host's events file
	BootID string // the host's boot ID when its step started
}

// HostNow is what a host reports at resume time.
type HostNow struct {
	Reachable bool
	// UnreachableFor is how long it has been unreachable (the controller's
	// clock, measured by the caller); with Reachable false.
	UnreachableFor time.Duration
	// HostKeyChanged: the host answered with a key other than the one on
	// record. Never continued with.
	HostKeyChanged bool
	// BootID is the host's boot ID now.
	BootID string
	// UnitActive: the host step's transient unit (named after the fleet
	// rollout) is still running.
	UnitActive bool
	// Record is the host's rollout record for this fleet rollout, or nil
	// when it has none.
	Record *HostRecord
}

// HostRecord is the part of a host's rollout record resume reads.
type HostRecord struct {
	FleetID string
	// Result is the record's release.Result: running, succeeded,
	// rolled-back, failed, halted or interrupted.
	Result string
}

// ResumeAction is what resuming does with one host.
type ResumeAction string

// The resume actions.
const (
	// ResumeReattach: follow the running host step from Offset.
	ResumeReattach ResumeAction = "reattach"
	// ResumeDone: the host's part is finished; nothing to do.
	ResumeDone ResumeAction = "done"
	// ResumeFailure: the host step failed; feed Result to Evaluate.
	ResumeFailure ResumeAction = "failure"
	// ResumeStep: start `deploy --resume` under systemd-run: the host
	// step stopped without ending (killed, rebooted).
	ResumeStep ResumeAction = "resume-step"
	// ResumeStart: start the host step afresh: it never recorded anything.
	ResumeStart ResumeAction = "start"
	// ResumeRevert: start (again) the host's rollback; rolling back is
	// idempotent.
	ResumeRevert ResumeAction = "revert"
	// ResumeContinue: not started yet; go on per plan, after preflight.
	ResumeContinue ResumeAction = "continue"
	// ResumeWait: unreachable; wait for it, start no host meanwhile.
	ResumeWait ResumeAction = "wait"
	// ResumeHalt: unreachable past reattach_deadline; halt the fleet
	// rollout with a report, never reverting other hosts on it.
	ResumeHalt ResumeAction = "halt"
	// ResumeRefuse: the host key changed: stop, report, never continue.
	ResumeRefuse ResumeAction = "refuse"
)

// HostResume is ResumeHost's decision for one host.
type HostResume struct {
	Action ResumeAction
	Offset int64      // ResumeReattach: the events offset to follow from
	Result HostResult // ResumeFailure: what to feed the failure action
	Reason string     // for `--resume --dry-run`
}

// ResumeHost decides, from what the fleet journal says of a host and
// what the host reports now, how an interrupted fleet rollout continues
// there (the table in fleet.md, "Fleet journal, claims, resume"). The
// host's truth wins over the journal, which is a cache: a host the journal
// has as staged but that runs or recorded this fleet's step is handled as
// rolling. A reboot is told apart from a lost link by the boot ID. It is
// pure.
func ResumeHost(fleetID string, j Journaled, now HostNow, s Strategy) HostResume {
	s = s.WithDefaults()
	switch {
	case now.HostKeyChanged:
		return HostResume{Action: ResumeRefuse, Reason: "host key changed since the rollout started: stopping; check the host out of band, never continuing on it"}
	case !now.Reachable && now.UnreachableFor >= s.ReattachDeadline:
		return HostResume{Action: ResumeHalt, Reason: fmt.Sprintf("unreachable for %v, past reattach_deadline %v: halting the fleet rollout; other hosts are not rolled back on an unknown",
			now.UnreachableFor.Round(time.Second), s.ReattachDeadline)}
	case !now.Reachable:
		return HostResume{Action: ResumeWait, Reason: fmt.Sprintf("unreachable (for %v): unknown; waiting up to reattach_deadline %v, starting no host meanwhile",
			now.UnreachableFor.Round(time.Second), s.ReattachDeadline)}
	}
	rec := now.Record
	if rec != nil && rec.FleetID != fleetID {
		rec = nil // another rollout's record says nothing of this one
	}
	rebooted := ""
	if j.BootID != "" && now.BootID != "" && j.BootID != now.BootID {
		rebooted = " after a reboot (boot ID changed)"
	}
	switch j.Phase {
	case PhaseDone:
		return HostResume{Action: ResumeDone, Reason: "done before the interruption"}
	case PhaseReverted:
		return HostResume{Action: ResumeDone, Reason: "rolled back before the interruption"}
	case PhaseReverting:
		if now.UnitActive {
			return HostResume{Action: ResumeReattach, Offset: j.Offset, Reason: fmt.Sprintf("rollback still running: reattaching at event offset %d", j.Offset)}
		}
		return HostResume{Action: ResumeRevert, Reason: "its rollback was under way" + rebooted + ": rolling it back again (idempotent)"}
	case PhaseFailed:
		r := HostResult("")
		if rec != nil {
			r = HostResult(rec.Result)
		}
		if !r.failed() {
			r = HostFailed
		}
		return HostResume{Action: ResumeFailure, Result: r, Reason: "failed before the interruption: applying the failure action"}
	case PhasePending, PhaseStaging, PhaseStaged:
		if !now.UnitActive && rec == nil {
			return HostResume{Action: ResumeContinue, Reason: fmt.Sprintf("%s, not started: going on per plan, after the fleet preflight", j.Phase)}
		}
		// The controller stopped between starting the step and saving it.
		j.Offset = 0
	case PhaseRolling, PhaseUnknown:
	default:
		return HostResume{Action: ResumeRefuse, Reason: fmt.Sprintf("the journal has phase %q, which this version does not know: stopping", clip(string(j.Phase)))}
	}
	return rolling(j, now, rec, rebooted)
}

// rolling decides for a host whose step was (or may have been) started.
func rolling(j Journaled, now HostNow, rec *HostRecord, rebooted string) HostResume {
	if now.UnitActive {
		return HostResume{Action: ResumeReattach, Offset: j.Offset, Reason: fmt.Sprintf("host step still running%s: reattaching at event offset %d", rebooted, j.Offset)}
	}
	if rec == nil {
		return HostResume{Action: ResumeStart, Reason: "host step gone without a record of this rollout" + rebooted + ": nothing was changed, starting it again"}
	}
	switch r := HostResult(rec.Result); {
	case r == HostSucceeded:
		return HostResume{Action: ResumeDone, Reason: "host step ended succeeded while the controller was away"}
	case r.failed():
		return HostResume{Action: ResumeFailure, Result: r, Reason: fmt.Sprintf("host step ended %s while the controller was away: applying the failure action", r)}
	case r == "running" || r == HostInterrupted:
		if rebooted == "" && r == "running" {
			rebooted = " in the same boot (its process was killed)"
		}
		return HostResume{Action: ResumeStep, Reason: fmt.Sprintf("host step stopped without ending (record %s)%s: starting `deploy --resume` on the host", r, rebooted)}
	default:
		return HostResume{Action: ResumeRefuse, Reason: fmt.Sprintf("host record has result %q, which this version does not know: stopping", clip(string(r)))}
	}
}
