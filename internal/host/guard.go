package host

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/unitfile"
)

// lock takes the service's deploy lock for any verb that changes units,
// releases or records: apply and uninstall as much as the rollout verbs,
// so that one of them can never stop instances or rewrite units under a
// rollout in progress. A holder is named (*release.LockedError).
func (h *Host) lock(store *release.Store) (*release.Lock, error) {
	return store.Lock(release.LockInfo{User: h.who(), Command: h.command()})
}

// refuseAddWhileUnfinished is what apply may do while a rollout is
// unfinished: update units and remove instances (a resume or rollback then
// marks removed ones so in the record and leaves them alone), but not add
// one; one the record marks removed is new to the rollout too. A new
// instance would start on a release outside the rollout, the rollout's
// record would not know it, and its resume would end "succeeded" with the
// service still on two releases.
func refuseAddWhileUnfinished(store *release.Store, service string, instances []string) error {
	rec, err := unfinished(store)
	if err != nil || rec == nil {
		return err
	}
	var added []string
	for _, n := range instances {
		if !slices.ContainsFunc(rec.Instances, func(in release.Instance) bool { return in.Name == n && !in.Removed }) {
			added = append(added, n)
		}
	}
	if len(added) == 0 {
		return nil
	}
	state := "was interrupted (" + rec.Reason + ")"
	if rec.Result == release.ResultRunning {
		state = fmt.Sprintf("is running (pid %d)", rec.PID)
	}
	return fmt.Errorf("rollout %s of %s %s; apply cannot add instance %s while it is unfinished (the rollout would not move it): finish it first with `sysroll deploy %s --resume` or `sysroll rollback %s`, then apply again; removing instances and updating units is allowed meanwhile",
		rec.ID, service, state, strings.Join(added, ", "), service, service)
}

// repairLinks fixes instance links that point outside the release store
// (or are no links at all), so deploy and rollback can go on where every
// other verb would fail to read them: a link is pointed back at the
// release its running process was started from when that release is
// intact (its revert target then is the truth), else removed, and the
// rollout then starts the instance on its target as a new one. A missing
// link needs nothing: the rollout treats the instance as new already.
func (s *session) repairLinks(ctx context.Context, p rollout.Progress) error {
	for _, inst := range s.svc.InstanceNames() {
		if _, err := s.store.Current(inst); err == nil {
			continue
		}
		_, problem := linkProblem(s.store, inst)
		fix := "removed: the rollout starts it on its target"
		u, err := s.m.Unit(ctx, unitfile.InstanceUnit(s.svc.Name, inst))
		if err != nil {
			return err
		}
		if v, ok := s.store.Running(u.MainPID); ok && verifyRelease(s.store, v) == "" {
			if err := s.store.Switch(inst, v); err != nil {
				return fmt.Errorf("repair the link of %s: %w", inst, err)
			}
			fix = "pointed back at " + v + ", the release it runs"
		} else if err := s.store.RemoveInstance(inst); err != nil {
			return fmt.Errorf("repair the link of %s: %w", inst, err)
		}
		if p != nil {
			p.Event(rollout.Event{Service: s.svc.Name, Time: time.Now(), Type: rollout.EventWarning, Instance: inst, Batch: -1,
				Message: fmt.Sprintf("%s; %s", problem, fix)})
		}
	}
	return nil
}

// checkStarts refuses a verb before it touches anything when a release an
// instance would start is broken: starts maps an instance to that release
// ("" for the one its link points at, the link itself then checked too).
// what says which start it is ("restart", "revert target"), fix how to
// repair it.
func (s *session) checkStarts(starts map[string]string, what, fix string) error {
	verified := map[string]string{}
	var problems []string
	for _, inst := range s.svc.InstanceNames() {
		v, ok := starts[inst]
		if !ok {
			continue
		}
		var problem string
		if v == "" {
			problem = nextStartProblem(s.store, inst, verified)
		} else {
			if _, done := verified[v]; !done {
				verified[v] = verifyRelease(s.store, v)
			}
			if verified[v] != "" {
				problem = "release " + v + ": " + verified[v]
			}
		}
		if problem != "" {
			problems = append(problems, fmt.Sprintf("instance %s (%s): %s", inst, what, problem))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return &BrokenError{Service: s.svc.Name, Problems: problems, Fix: fix}
}

// fixHint is the repair BrokenError suggests.
func fixHint(service string) string {
	return fmt.Sprintf("repair it by staging the release again (`sysroll deploy %s --artifact PATH --version VERSION`) or go to a good one (`sysroll rollback %s --to VERSION`, see `sysroll history %s`)", service, service, service)
}

// checkTarget refuses a rollout whose target release is broken.
func (s *session) checkTarget(version string) error {
	if problem := verifyRelease(s.store, version); problem != "" {
		return &BrokenError{Service: s.svc.Name, Problems: []string{"target release " + version + ": " + problem}, Fix: fixHint(s.svc.Name)}
	}
	return nil
}

// checkDeploy refuses a deploy to target when target is broken or when
// an instance it would move could not be put back: the release it is on
// now is its revert target.
func (s *session) checkDeploy(target string) error {
	if err := s.checkTarget(target); err != nil {
		return err
	}
	starts := map[string]string{}
	for _, inst := range s.svc.InstanceNames() {
		cur, err := s.store.Current(inst)
		switch {
		case err != nil:
			starts[inst] = "" // a dry run, before repairLinks: report the link
		case cur != "" && cur != target:
			starts[inst] = cur
		}
	}
	return s.checkStarts(starts, "revert target", fixHint(s.svc.Name))
}

// checkReverts refuses to undo rec when a release an instance would go
// back to is broken.
func (s *session) checkReverts(rec *release.Record) error {
	starts := map[string]string{}
	for _, in := range rec.Instances {
		if cur, err := s.store.Current(in.Name); in.From != "" && (err != nil || cur != in.From) {
			starts[in.Name] = in.From
		}
	}
	return s.checkStarts(starts, "rollback target", fixHint(s.svc.Name))
}

// checkResume refuses to resume rec onto a broken release: its target, or
// for a restart the release each instance's link points at, or for a
// rollout being undone the releases it goes back to.
func (s *session) checkResume(rec *release.Record) error {
	if rec.Undo {
		return s.checkReverts(rec)
	}
	if rec.Kind != release.KindRestart {
		return s.checkTarget(rec.To)
	}
	starts := map[string]string{}
	for _, inst := range s.svc.InstanceNames() {
		starts[inst] = ""
	}
	return s.checkStarts(starts, "restart", fixHint(s.svc.Name))
}
