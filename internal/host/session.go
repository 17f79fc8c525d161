package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/schema"
	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/traffic"
	"github.com/sysroll/sysroll/internal/unitfile"
)

// RolloutResult is what a rollout verb did.
type RolloutResult struct {
	// Record is the rollout as recorded; nil for a dry run or when nothing
	// could be recorded.
	Record *release.Record
	// Plan is set instead, for a dry run.
	Plan *schema.Plan
	// Staged is the release a deploy staged.
	Staged *release.Release
	// Traffic is the traffic proof's final count, with one.
	Traffic *traffic.Snapshot
}

// session is everything one rollout verb needs, opened once: the installed
// service, its release store, the deploy lock, systemd.
type session struct {
	h     *Host
	svc   *config.Service
	store *release.Store
	m     systemd.Manager
	lock  *release.Lock
	// p receives the verb's progress; nil for none.
	p rollout.Progress
	// aside lists the state files already quarantined when the session
	// opened, and those it reported since (warnQuarantined).
	aside map[string]bool
}

func (s *session) close() {
	s.warnQuarantined()
	if s.lock != nil {
		_ = s.lock.Unlock()
	}
	if s.m != nil {
		_ = s.m.Close()
	}
}

// open loads the installed service, takes the deploy lock and connects to
// systemd. The lock comes first: a second rollout is refused at once, naming
// who holds it.
func (h *Host) open(ctx context.Context, name string) (*session, error) {
	svc, dir, err := h.loadInstalled(name)
	if err != nil {
		return nil, err
	}
	store, err := release.Open(dir)
	if err != nil {
		return nil, err
	}
	s := &session{h: h, svc: svc, store: store, aside: map[string]bool{}}
	if qs, err := store.Quarantined(); err == nil {
		for _, q := range qs {
			s.aside[q.Path] = true
		}
	}
	s.lock, err = store.Lock(release.LockInfo{User: h.who(), Command: h.command()})
	if err != nil {
		return nil, err
	}
	s.m, err = h.connect(ctx)
	if err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (s *session) spec(kind release.Kind, target string) rollout.Spec {
	hostname, _ := os.Hostname()
	name := s.svc.Name
	return rollout.Spec{
		Service:   name,
		Kind:      kind,
		Target:    target,
		Instances: s.svc.InstanceNames(),
		Strategy:  strategyFor(s.svc),
		Gate:      gateFor(s.svc),
		Unit:      func(inst string) string { return unitfile.InstanceUnit(name, inst) },
		User:      s.h.who(),
		Host:      hostname,
	}
}

func (s *session) deps(p rollout.Progress, proof *TrafficProof) rollout.Deps {
	d := rollout.Deps{
		Manager:  s.m,
		Releases: s.store,
		Journal:  stampJournal{j: s.store, fleet: s.h.Fleet, boot: s.h.bootID()},
		Drainer:  drainerFor(s.svc, s.store),
		Probes:   probesFor(s.svc, s.store),
		Logs:     s.h.logs(),
		Requests: s.store,
		Expiry:   &timerExpiry{h: s.h, m: s.m},
	}
	if proof != nil {
		// The traffic proof's breach fails the instance being gated.
		d.Traffic = proof.probe()
		p = proof.withCounts(p)
	}
	d.Progress = p
	return d
}

// unfinished returns the rollout of the service that must be completed
// (resume, promote) or undone (rollback, abort) before another may start:
// one whose sysroll died mid-way (kill -9, a lost session: store.Unfinished
// reports it interrupted), or the newest one if it ended interrupted
// (Ctrl-C, SIGTERM, SIGHUP) or paused, which finished or undid its step
// but may have left the instances on mixed releases. Without the second case an interrupted rollout could be
// neither resumed nor rolled back as one.
func unfinished(store *release.Store) (*release.Record, error) {
	rec, err := store.Unfinished()
	if err != nil || rec != nil {
		return rec, err
	}
	recs, err := store.Records()
	if err != nil {
		return nil, err
	}
	if len(recs) > 0 && (recs[0].Result == release.ResultInterrupted || recs[0].Result == release.ResultPaused) {
		return &recs[0], nil
	}
	return nil, nil
}

// resumable is the rollout `deploy --resume` completes: the unfinished one,
// else the newest if it ended halted or failed partway (its record still
// describes every instance, and rollout.Resume finishes it). A halted
// rollout does not block a new deploy (refuseUnfinished), but it can be
// taken up again.
func resumable(store *release.Store) (*release.Record, error) {
	rec, err := unfinished(store)
	if err != nil || rec != nil {
		return rec, err
	}
	recs, err := store.Records()
	if err != nil || len(recs) == 0 {
		return nil, err
	}
	switch recs[0].Result {
	case release.ResultHalted, release.ResultFailed:
		return &recs[0], nil
	}
	return nil, nil
}

// undoable is the rollout a plain `rollback` undoes when none is
// unfinished: the newest, if it is a deploy or restart (or the undo of
// one) that ended halted or failed partway. It may have left instances on
// two releases, or one down on its old release after a revert that
// failed: the release "before the current one" then means nothing, and
// what the operator wants undone is that rollout. A rollback that ended so
// is retried toward its own target instead (rollbackTarget).
func undoable(store *release.Store) (*release.Record, error) {
	recs, err := store.Records()
	if err != nil || len(recs) == 0 {
		return nil, err
	}
	r := recs[0]
	if r.Kind == release.KindRollback || (r.Result != release.ResultHalted && r.Result != release.ResultFailed) {
		return nil, nil
	}
	// One that moved no instance off its release (the preflight refused it,
	// a restart, every touched instance already reverted): undoing it would
	// do nothing and report "rolled-back", and the operator's rollback would
	// never reach the release before the current one.
	if movedNothing(r) {
		return nil, nil
	}
	return &r, nil
}

// movedNothing says whether a rollout left every instance on the release it
// had before: untouched, reverted, or stepped onto the same release.
func movedNothing(r release.Record) bool {
	for _, in := range r.Instances {
		if in.Phase != release.PhasePending && in.Phase != release.PhaseReverted && in.From != in.To {
			return false
		}
	}
	return true
}

// untouched says whether a rollout stopped before it touched any instance.
func untouched(r release.Record) bool {
	for _, in := range r.Instances {
		if in.Phase != release.PhasePending {
			return false
		}
	}
	return true
}

// warnQuarantined tells the operator, once per file, about every state file
// found corrupt and moved aside since the session opened (a rollout record
// Records skipped, release metadata, the known-good history): the verb goes
// on without it, and they should know now, not only from `status`.
func (s *session) warnQuarantined() {
	if s.p == nil || s.store == nil {
		return
	}
	qs, err := s.store.Quarantined()
	if err != nil {
		return
	}
	for _, q := range qs {
		if s.aside[q.Path] {
			continue
		}
		s.aside[q.Path] = true
		s.p.Event(rollout.Event{Service: s.svc.Name, Time: time.Now(), Type: rollout.EventWarning, Batch: -1,
			Message: fmt.Sprintf("%s %s is corrupt (%s): moved aside to %s and left out; see `sysroll status %s`",
				q.What, q.Original, q.Reason, q.Path, s.svc.Name)})
	}
}

// refuseUnfinished is the rule that one rollout ends before the next begins.
func (s *session) refuseUnfinished() error {
	rec, err := unfinished(s.store)
	if err != nil || rec == nil {
		return err
	}
	n := s.svc.Name
	if rec.Result == release.ResultPaused {
		// Bad input, as a deploy of a release not staged: nothing touched.
		return inputf("rollout %s of %s is %s; go on first: %s", rec.ID, n, PausedSince(rec), NextCommands(rec, n))
	}
	return fmt.Errorf("rollout %s of %s was interrupted (%s); finish it first: `sysroll deploy %s --resume` or `sysroll rollback %s`", rec.ID, n, rec.Reason, n, n)
}

// ErrInterrupted is wrapped by a rollout verb's error when the rollout
// stopped because its context ended (Ctrl-C, SIGTERM, SIGHUP, the viewer
// gone): the step in progress was finished or reverted, the rollout is
// recorded interrupted, and resume or rollback completes it.
var ErrInterrupted = errors.New("interrupted")

// run executes one rollout: the load balancer is checked before anything
// is touched, the traffic proof (if any) runs around it, and a success marks
// the release good and prunes old ones.
func (s *session) run(ctx context.Context, p rollout.Progress, proof *TrafficProof, do func(rollout.Deps) (*release.Record, error)) (*RolloutResult, error) {
	if p == nil {
		p = rollout.ProgressFunc(func(rollout.Event) {})
	}
	// What reading the records moved aside is said before the rollout.
	s.warnQuarantined()
	if err := checkDrainer(ctx, drainerFor(s.svc, s.store), s.svc.InstanceNames()); err != nil {
		return nil, err
	}
	an, err := s.h.analysisFor(s.svc)
	if err != nil {
		return nil, err
	}
	res := &RolloutResult{}
	stop := func() {}
	if proof != nil {
		end := proof.start(ctx)
		stop = func() {
			snap := end()
			res.Traffic = &snap
			p.Event(rollout.Event{Service: s.svc.Name, Time: time.Now(), Type: rollout.EventTraffic, Batch: -1, Message: proof.URL, Traffic: &snap})
		}
	}
	deps := s.deps(p, proof)
	deps.Analysis = an
	rec, runErr := do(deps)
	stop()
	res.Record = rec
	if err := s.finish(rec); err != nil {
		return res, errors.Join(runErr, err)
	}
	if runErr != nil && errors.Is(runErr, context.Canceled) {
		return res, &interruptedError{service: s.svc.Name, cause: runErr}
	}
	return res, runErr
}

// interruptedError says what an interrupt left and how to go on; it is
// ErrInterrupted and the executor's error.
type interruptedError struct {
	service string
	cause   error
}

func (e *interruptedError) Error() string {
	n := e.service
	return fmt.Sprintf("interrupted: the step in progress was finished or reverted (see `sysroll status %s`); complete the rollout with `sysroll deploy %s --resume` or undo it with `sysroll rollback %s`", n, n, n)
}

func (e *interruptedError) Unwrap() []error { return []error{ErrInterrupted, e.cause} }

// finish marks a successful rollout's release good and prunes old ones.
func (s *session) finish(rec *release.Record) error {
	if rec == nil || rec.Result != release.ResultSucceeded || rec.To == "" {
		return nil
	}
	if err := s.store.MarkGood(rec.To); err != nil {
		return err
	}
	_, err := s.store.Prune(s.svc.ReleasesKeep)
	return err
}

// The preflight reads every other instance before each batch; with the
// D-Bus Manager it does so in one ListUnitsByNames call.
var _ rollout.StateLister = (*systemd.DBus)(nil)
