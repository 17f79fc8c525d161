package host

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/schema"
	"github.com/sysroll/sysroll/internal/unitfile"
)

// DeployOptions says what Deploy rolls out.
type DeployOptions struct {
	Service string
	// Artifact is the new release: a binary, a directory or a .tar.gz.
	// "" rolls out the release Version, which must be staged already
	// (Stage).
	Artifact string
	// Version names it; "" is the first 12 hex digits of its sha256.
	Version string
	// As is the file name a single-binary artifact gets in the release
	// (release.StageOptions.As), so that the command finds it.
	As string
	// Check runs in the staged release and must exit 0 before any instance
	// is touched.
	Check []string
	// DryRun stages and checks the release and returns the plan.
	DryRun bool
	// Traffic, when set, proves the rollout with live traffic.
	Traffic *TrafficProof
}

// Deploy stages a release and rolls it out batch by batch; a failed batch is
// handled as the service file's failure_action says. It is refused while an
// earlier rollout is unfinished.
func (h *Host) Deploy(ctx context.Context, opts DeployOptions, p rollout.Progress) (*RolloutResult, error) {
	if opts.Artifact == "" && opts.Version == "" {
		return nil, inputf("deploy needs an artifact (the release to roll out), or the version of a staged one")
	}
	if opts.Artifact == "" && (opts.As != "" || len(opts.Check) > 0) {
		return nil, inputf("deploy of the staged release %s takes no As or Check: they apply when staging", opts.Version)
	}
	s, err := h.begin(ctx, opts.Service, opts.Traffic, true, p)
	if err != nil {
		return nil, err
	}
	defer s.close()
	if err := h.refuseFleetClaimed(opts.Service, "deploy", h.Fleet); err != nil {
		return nil, err
	}
	var rel release.Release
	staged := ""
	if opts.Artifact == "" {
		// Staged before (`sysroll stage`, a fleet's first phase).
		if rel, err = stagedRelease(s.store, opts.Service, opts.Version); err != nil {
			return nil, err
		}
		staged = ", staged before"
	} else {
		rel, err = s.store.Stage(ctx, opts.Artifact, release.StageOptions{Version: opts.Version, Check: opts.Check,
			As: opts.As, Program: program(s.svc.Command)})
		if err != nil {
			return nil, stageError(err)
		}
	}
	if p != nil {
		p.Event(rollout.Event{Service: opts.Service, Time: time.Now(), Type: rollout.EventStaged, Batch: -1,
			Message: rel.Version + " (sha256 " + rel.SHA256[:12] + ", " + string(rel.Kind) + staged + ")"})
	}
	if !opts.DryRun {
		if err := s.repairLinks(ctx, p); err != nil {
			return nil, err
		}
	}
	if err := s.checkDeploy(rel.Version); err != nil {
		return nil, err
	}
	spec := s.spec(release.KindDeploy, rel.Version)
	res, err := s.runOrPlan(ctx, spec, opts.DryRun, p, opts.Traffic)
	if res != nil {
		res.Staged = &rel
	}
	return res, err
}

// RestartOptions says what Restart restarts.
type RestartOptions struct {
	Service string
	DryRun  bool
	Traffic *TrafficProof
}

// Restart restarts every instance on the release it runs, with the same
// batches, gates and failure handling as a deploy.
func (h *Host) Restart(ctx context.Context, opts RestartOptions, p rollout.Progress) (*RolloutResult, error) {
	s, err := h.begin(ctx, opts.Service, opts.Traffic, true, p)
	if err != nil {
		return nil, err
	}
	defer s.close()
	if err := h.refuseFleetClaimed(opts.Service, "restart", h.Fleet); err != nil {
		return nil, err
	}
	// A restart starts each instance on the release its link points at:
	// one deleted or changed since it was staged would stop an instance
	// for good, with nothing to revert to.
	starts := map[string]string{}
	for _, inst := range s.svc.InstanceNames() {
		starts[inst] = ""
	}
	if err := s.checkStarts(starts, "restart", fixHint(opts.Service)); err != nil {
		return nil, err
	}
	spec := s.spec(release.KindRestart, "")
	return s.runOrPlan(ctx, spec, opts.DryRun, p, opts.Traffic)
}

// RollbackOptions says where Rollback goes.
type RollbackOptions struct {
	Service string
	// To is the release to go to; "" is the last release proven good
	// before the current one.
	To      string
	DryRun  bool
	Traffic *TrafficProof
}

// Rollback moves every instance back to a release, one gated batch at a
// time. With an unfinished rollout it undoes that one instead: every
// instance it moved goes back to where it was. So it does, without --to,
// with the newest rollout if it ended halted or failed partway (undoable).
func (h *Host) Rollback(ctx context.Context, opts RollbackOptions, p rollout.Progress) (*RolloutResult, error) {
	s, err := h.begin(ctx, opts.Service, opts.Traffic, false, p)
	if err != nil {
		return nil, err
	}
	defer s.close()
	if err := h.refuseFleetClaimed(opts.Service, "rollback", h.Fleet); err != nil {
		return nil, err
	}
	name := opts.Service
	rec, err := unfinished(s.store)
	if err != nil {
		return nil, err
	}
	switch {
	case rec != nil && rec.Kind == release.KindRollback && opts.To != "" && opts.To != rec.To:
		return nil, inputf("rollback %s of %s to %s was interrupted: complete it first (`sysroll rollback %s` without --to, or `sysroll deploy %s --resume`), then roll back to %s",
			rec.ID, name, rec.To, name, name, opts.To)
	case rec != nil && rec.Kind != release.KindRollback && opts.To != "":
		return nil, inputf("rollout %s is unfinished (%s): roll it back first (`sysroll rollback %s` without --to, or `sysroll abort %s`)", rec.ID, rec.Result, name, name)
	case rec == nil && opts.To != "":
		if _, err := s.store.Get(opts.To); err != nil {
			return nil, asInput(err)
		}
	case rec == nil:
		if rec, err = undoable(s.store); err != nil {
			return nil, err
		}
	}
	// The input is settled: repair what would stop the rollback from
	// reading where instances are.
	if !opts.DryRun {
		if err := s.repairLinks(ctx, p); err != nil {
			return nil, err
		}
	}
	if rec != nil && rec.Kind == release.KindRollback {
		return s.completeRollback(ctx, rec, opts, p)
	}
	if rec != nil && rec.Result == release.ResultPaused && !opts.DryRun {
		return s.undo(ctx, rec, "rolled back by "+s.h.who(), release.PauseAborted, opts.Traffic, p)
	}
	if rec != nil {
		if err := s.checkReverts(rec); err != nil {
			return nil, err
		}
		spec := s.spec(rec.Kind, rec.To)
		spec.ID = rec.ID
		if opts.DryRun {
			plan, err := s.plan(spec)
			return &RolloutResult{Plan: plan}, err
		}
		return s.run(ctx, p, opts.Traffic, func(d rollout.Deps) (*release.Record, error) {
			return rollout.RollbackRecord(ctx, rec, spec, d)
		})
	}
	target, err := s.rollbackTarget(ctx, opts.To)
	if err != nil {
		return nil, err
	}
	if err := s.checkTarget(target); err != nil {
		return nil, err
	}
	spec := s.spec(release.KindRollback, target)
	return s.runOrPlan(ctx, spec, opts.DryRun, p, opts.Traffic)
}

// completeRollback takes up an interrupted rollback. Undoing it, as an
// interrupted deploy is undone, would put every instance back on the
// release the rollback was rolling away from: a second `rollback` after a
// kill -9 would mean the opposite of the first. So it is resumed toward
// its own target (Rollback allows --to only naming that target).
func (s *session) completeRollback(ctx context.Context, rec *release.Record, opts RollbackOptions, p rollout.Progress) (*RolloutResult, error) {
	if err := s.checkTarget(rec.To); err != nil {
		return nil, err
	}
	spec := s.spec(rec.Kind, rec.To)
	spec.ID = rec.ID
	if opts.DryRun {
		plan, err := s.plan(spec)
		return &RolloutResult{Plan: plan}, err
	}
	return s.run(ctx, p, opts.Traffic, func(d rollout.Deps) (*release.Record, error) {
		return rollout.Resume(ctx, rec, spec, d)
	})
}

// rollbackTarget is the release a rollback goes to: to when given (it must
// be staged), else the last release proven good before the current one.
// Rolling back never means "whatever was deployed before": only a release
// that passed a whole rollout qualifies.
func (s *session) rollbackTarget(ctx context.Context, to string) (string, error) {
	if to != "" {
		if _, err := s.store.Get(to); err != nil {
			return "", asInput(err)
		}
		return to, nil
	}
	// A rollback that ended without getting there (failed, halted, rolled
	// back) is retried toward its own target: the release before the
	// current one could be the very release it was rolling away from.
	recs, err := s.store.Records()
	if err != nil {
		return "", err
	}
	if len(recs) > 0 && recs[0].Kind == release.KindRollback && recs[0].Result != release.ResultSucceeded && recs[0].To != "" {
		return recs[0].To, nil
	}
	cur, err := s.rollbackCurrent(ctx, recs)
	if err != nil {
		return "", err
	}
	target, err := s.store.PreviousGood(cur)
	if errors.Is(err, release.ErrNoGoodRelease) {
		return "", inputf("no known-good release before %s to roll back to; name one with --to (see `sysroll history %s`)", cur, s.svc.Name)
	}
	return target, err
}

// rollbackCurrent is the release a rollback without --to rolls away from:
// the one every instance is on, or, with instances on several releases,
// the target of the newest rollout if it succeeded and explains the split
// (each instance on its target, or back on its previous release after a
// failure the budget tolerated). Any other split has no clear "current":
// rolling back to the release before the majority's could move every
// instance to a release none of them ran, so it is refused, saying where
// each instance is and how to name the target.
func (s *session) rollbackCurrent(ctx context.Context, recs []release.Record) (string, error) {
	names := s.svc.InstanceNames()
	on := make(map[string]string, len(names))
	vs := make([]string, 0, len(names))
	for _, inst := range names {
		v, err := s.store.Current(inst)
		if err != nil {
			return "", err
		}
		on[inst] = v
		vs = append(vs, v)
	}
	if releasesIn(vs) <= 1 || (len(recs) > 0 && explains(recs[0], on)) {
		return release.Majority(vs), nil
	}
	var states []rollout.InstanceState
	for _, inst := range names {
		st := rollout.InstanceState{Instance: inst, Release: on[inst], Unit: "unknown"}
		if u, err := s.m.Unit(ctx, unitfile.InstanceUnit(s.svc.Name, inst)); err == nil {
			st.Unit = fmt.Sprintf("%s/%s", u.ActiveState, u.SubState)
		}
		states = append(states, st)
	}
	n := s.svc.Name
	return "", inputf("instances of %s are on several releases and no rollout to undo explains it, so there is no clear release to roll back to: %s; name the release with `sysroll rollback %s --to VERSION` (see `sysroll history %s`)",
		n, rollout.DescribeStates(states), n, n)
}

// releasesIn counts the distinct releases in vs ("" is none).
func releasesIn(vs []string) int {
	seen := map[string]bool{}
	for _, v := range vs {
		if v != "" {
			seen[v] = true
		}
	}
	return len(seen)
}

// explains reports whether rec, a rollout that succeeded, left the
// instances where on says: each on rec's target, or reverted to its
// previous release within the failure budget.
func explains(rec release.Record, on map[string]string) bool {
	if rec.Result != release.ResultSucceeded || rec.Kind == release.KindRestart {
		return false
	}
	for inst, v := range on {
		if v == "" || v == rec.To {
			continue
		}
		i := slices.IndexFunc(rec.Instances, func(in release.Instance) bool { return in.Name == inst })
		if i < 0 || rec.Instances[i].Phase != release.PhaseReverted || rec.Instances[i].From != v {
			return false
		}
	}
	return true
}

// ResumeOptions says which rollout Resume completes.
type ResumeOptions struct {
	Service string
	Traffic *TrafficProof
}

// Resume completes the unfinished rollout of a service: instances already
// done stay, the one caught mid-step is finished or redone, the rest follow.
func (h *Host) Resume(ctx context.Context, opts ResumeOptions, p rollout.Progress) (*RolloutResult, error) {
	s, err := h.begin(ctx, opts.Service, opts.Traffic, false, p)
	if err != nil {
		return nil, err
	}
	defer s.close()
	rec, err := resumable(s.store)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, inputf("no interrupted rollout of %s to resume, nor one that halted or failed partway (see `sysroll history %s`)", opts.Service, opts.Service)
	}
	// The fleet's --resume completes its own step here so (its record
	// carries the fleet rollout).
	if err := h.refuseFleetClaimed(opts.Service, "deploy --resume", h.Fleet, rec.FleetID); err != nil {
		return nil, err
	}
	if err := s.repairLinks(ctx, p); err != nil {
		return nil, err
	}
	if err := refuseGate(rec, opts.Service); err != nil {
		return nil, err
	}
	if err := s.checkResume(rec); err != nil {
		return nil, err
	}
	return s.resume(ctx, rec, opts.Traffic, p)
}

// begin checks a rollout verb's traffic proof, then opens the service
// (taking the lock); with refuse, an unfinished rollout refuses the verb.
// p receives the session's own warnings.
func (h *Host) begin(ctx context.Context, service string, proof *TrafficProof, refuse bool, p rollout.Progress) (*session, error) {
	if proof != nil {
		if err := proof.Validate(); err != nil {
			return nil, err
		}
	}
	s, err := h.open(ctx, service)
	// A paused rollout's lock is held only by its timer's brief check
	// (check-pause): wait it out rather than refuse the verb.
	for until := time.Now().Add(lockedByCheck); errors.Is(err, release.ErrLocked) && h.pausedNow(service) && time.Now().Before(until); {
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(requestPoll):
		}
		s, err = h.open(ctx, service)
	}
	if err != nil {
		return nil, err
	}
	s.p = p
	if refuse {
		if err := s.refuseUnfinished(); err != nil {
			s.close()
			return nil, err
		}
	}
	if proof != nil {
		if err := proof.entryPointUp(ctx); err != nil {
			s.close()
			return nil, err
		}
	}
	return s, nil
}

// runOrPlan runs spec as a fresh rollout, or for a dry run returns its plan.
func (s *session) runOrPlan(ctx context.Context, spec rollout.Spec, dryRun bool, p rollout.Progress, proof *TrafficProof) (*RolloutResult, error) {
	if dryRun {
		plan, err := s.plan(spec)
		return &RolloutResult{Plan: plan}, err
	}
	return s.run(ctx, p, proof, func(d rollout.Deps) (*release.Record, error) {
		return rollout.Run(ctx, spec, d)
	})
}

// plan is what a rollout would do: its batches with each instance's current
// release, and the gate and failure action that apply.
func (s *session) plan(spec rollout.Spec) (*schema.Plan, error) {
	batches, err := rollout.Plan(spec.Instances, spec.Strategy)
	if err != nil {
		return nil, asInput(err)
	}
	g := spec.Gate.WithDefaults()
	p := &schema.Plan{Schema: schema.PlanV1, Service: spec.Service, Kind: spec.Kind, Target: spec.Target,
		HealthyFor: g.HealthyFor.Seconds(), Deadline: g.Deadline.Seconds(),
		FailureAction: string(spec.Strategy.WithDefaults().FailureAction)}
	var pauses []release.Pause
	if rollout.PausesApply(spec.Kind) {
		pauses = rollout.PlanPauses(len(batches), spec.Strategy)
	}
	for i, b := range batches {
		var row schema.PlanBatch
		for _, p := range pauses {
			if p.After == i {
				row.PauseAfterSeconds, row.GateAfter = p.Duration.Seconds(), p.Kind == release.PauseGate
			}
		}
		for _, inst := range b {
			v, err := s.store.Current(inst)
			if err != nil {
				return nil, err
			}
			row.Instances = append(row.Instances, schema.PlanInstance{Name: inst, Current: v})
		}
		p.Batches = append(p.Batches, row)
	}
	planAnalysis(p, s.svc, spec) // plan_analysis.go
	return p, nil
}

// program is the program a service's command runs (its argv[0], with
// placeholders unexpanded), for Stage to find in the release; "" if the
// command does not split (Validate refused it already).
func program(command string) string {
	argv, err := config.SplitCommand(command)
	if err != nil || len(argv) == 0 {
		return ""
	}
	return argv[0]
}
