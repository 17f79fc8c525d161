package host

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/schema"
)

// DeployOptions says what Deploy rolls out.
type DeployOptions struct {
	Service string
	// Artifact is the new release: a binary, a directory or a .tar.gz.
	Artifact string
	// Version names it; "" is the first 12 hex digits of its sha256.
	Version string
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
	if opts.Artifact == "" {
		return nil, inputf("deploy needs an artifact (the release to roll out)")
	}
	s, err := h.begin(ctx, opts.Service, opts.Traffic, true)
	if err != nil {
		return nil, err
	}
	defer s.close()
	rel, err := s.store.Stage(ctx, opts.Artifact, release.StageOptions{Version: opts.Version, Check: opts.Check})
	if err != nil {
		return nil, asInput(fmt.Errorf("release rejected, no instance touched: %w", err))
	}
	if p != nil {
		p.Event(rollout.Event{Service: opts.Service, Time: time.Now(), Type: rollout.EventStaged, Batch: -1,
			Message: rel.Version + " (sha256 " + rel.SHA256[:12] + ", " + string(rel.Kind) + ")"})
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
	s, err := h.begin(ctx, opts.Service, opts.Traffic, true)
	if err != nil {
		return nil, err
	}
	defer s.close()
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
// instance it moved goes back to where it was.
func (h *Host) Rollback(ctx context.Context, opts RollbackOptions, p rollout.Progress) (*RolloutResult, error) {
	s, err := h.begin(ctx, opts.Service, opts.Traffic, false)
	if err != nil {
		return nil, err
	}
	defer s.close()
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
		return nil, inputf("rollout %s was interrupted: roll it back first (`sysroll rollback %s` without --to)", rec.ID, name)
	case rec == nil && opts.To != "":
		if _, err := s.store.Get(opts.To); err != nil {
			return nil, asInput(err)
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
	if rec != nil {
		rec = s.current(rec, p)
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
	target, err := s.rollbackTarget(opts.To)
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
	rec = s.current(rec, p)
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
func (s *session) rollbackTarget(to string) (string, error) {
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
	cur, err := currentRelease(s.store, s.svc.InstanceNames())
	if err != nil {
		return "", err
	}
	target, err := s.store.PreviousGood(cur)
	if errors.Is(err, release.ErrNoGoodRelease) {
		return "", inputf("no known-good release before %s to roll back to; name one with --to (see `sysroll history %s`)", cur, s.svc.Name)
	}
	return target, err
}

// ResumeOptions says which rollout Resume completes.
type ResumeOptions struct {
	Service string
	Traffic *TrafficProof
}

// Resume completes the unfinished rollout of a service: instances already
// done stay, the one caught mid-step is finished or redone, the rest follow.
func (h *Host) Resume(ctx context.Context, opts ResumeOptions, p rollout.Progress) (*RolloutResult, error) {
	s, err := h.begin(ctx, opts.Service, opts.Traffic, false)
	if err != nil {
		return nil, err
	}
	defer s.close()
	rec, err := unfinished(s.store)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, inputf("no interrupted rollout of %s to resume", opts.Service)
	}
	if err := s.repairLinks(ctx, p); err != nil {
		return nil, err
	}
	if err := s.checkResume(rec); err != nil {
		return nil, err
	}
	rec = s.current(rec, p)
	spec := s.spec(rec.Kind, rec.To)
	spec.ID = rec.ID
	return s.run(ctx, p, opts.Traffic, func(d rollout.Deps) (*release.Record, error) {
		return rollout.Resume(ctx, rec, spec, d)
	})
}

// begin checks a rollout verb's traffic proof, then opens the service
// (taking the lock); with refuse, an unfinished rollout refuses the verb.
func (h *Host) begin(ctx context.Context, service string, proof *TrafficProof, refuse bool) (*session, error) {
	if proof != nil {
		if err := proof.Validate(); err != nil {
			return nil, err
		}
	}
	s, err := h.open(ctx, service)
	if err != nil {
		return nil, err
	}
	if refuse {
		if err := s.refuseUnfinished(); err != nil {
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
	for _, b := range batches {
		var row schema.PlanBatch
		for _, inst := range b {
			v, err := s.store.Current(inst)
			if err != nil {
				return nil, err
			}
			row.Instances = append(row.Instances, schema.PlanInstance{Name: inst, Current: v})
		}
		p.Batches = append(p.Batches, row)
	}
	return p, nil
}
