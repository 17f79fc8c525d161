package host

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
)

// GateOptions says which rollout pause, promote and abort act on.
type GateOptions struct {
	Service string
	// Pause is the 1-based index of the record's pause a promote passes,
	// as status and the paused deploy print it; 0 is the one it waits at.
	Pause int
	// Rollout is the rollout ID the operator saw; "" is the unfinished one.
	Rollout string
	Reason  string
	// Wait bounds how long a request to a running rollout is waited for;
	// 0 is DefaultRequestWait.
	Wait    time.Duration
	Traffic *TrafficProof
}

// DefaultRequestWait is how long pause, abort and promote wait for a
// running rollout to take their request.
const DefaultRequestWait = 15 * time.Minute

// requestPoll is how often a waiting command looks at the request again.
const requestPoll = 100 * time.Millisecond

// lockedByCheck bounds how long a verb waits for a paused rollout's lock,
// held by its timer's check of the canaries (a few probe rounds).
const lockedByCheck = 30 * time.Second

// pausedNow reports whether the service's unfinished rollout is paused.
func (h *Host) pausedNow(service string) bool {
	store, err := h.installedStore(service)
	if err != nil {
		return false
	}
	rec, err := unfinished(store)
	return err == nil && rec != nil && rec.Result == release.ResultPaused
}

// Promote passes the pause a paused rollout waits at (an approval gate, or
// an inconclusive analysis' pause) and continues it: only if it waits at
// the pause opts names, and only once its canaries prove they are still
// the processes that passed (else their batch fails, rollout.unpark).
// With a rollout running, it asks it to pass the timed pause under way.
func (h *Host) Promote(ctx context.Context, opts GateOptions, p rollout.Progress) (*RolloutResult, error) {
	return h.gateVerb(ctx, opts, p, release.RequestPromote, func(s *session, rec *release.Record) (*RolloutResult, error) {
		i := rec.Waiting()
		if rec.Result != release.ResultPaused || i < 0 {
			return nil, inputf("rollout %s of %s is %s, not paused at a gate: nothing to promote (see `sysroll status %s`)", rec.ID, opts.Service, rec.Result, opts.Service)
		}
		q := rec.Pauses[i]
		if q.Kind == release.PauseManual {
			return nil, inputf("rollout %s of %s was paused by hand (`sysroll pause`), not at a gate: continue it with `sysroll resume %s`", rec.ID, opts.Service, opts.Service)
		}
		if opts.Pause != 0 && opts.Pause != i+1 {
			return nil, inputf("rollout %s of %s has moved on: it waits at pause %d (the %s after batch %d), not at pause %d; nothing promoted (see `sysroll status %s`)",
				rec.ID, opts.Service, i+1, q.Label(), q.After+1, opts.Pause, opts.Service)
		}
		if err := expiredPause(rec, opts.Service); err != nil {
			return nil, err
		}
		now := time.Now()
		rec.Pauses[i].Promotion = &release.Promotion{By: s.h.who(), At: now, Reason: opts.Reason}
		if err := s.store.SaveRecord(rec); err != nil {
			return nil, err
		}
		if err := s.checkResume(rec); err != nil {
			return nil, err
		}
		return s.resume(ctx, rec, opts.Traffic, p)
	})
}

// Abort undoes an unfinished rollout: every instance it touched goes back
// to where it was, newest batch first, gated. A paused or interrupted
// rollout is undone here; a running one is asked to, through a request.
func (h *Host) Abort(ctx context.Context, opts GateOptions, p rollout.Progress) (*RolloutResult, error) {
	return h.gateVerb(ctx, opts, p, release.RequestAbort, func(s *session, rec *release.Record) (*RolloutResult, error) {
		why := "aborted by " + s.h.who()
		if opts.Reason != "" {
			why += ": " + opts.Reason
		}
		return s.undo(ctx, rec, why, release.PauseAborted, opts.Traffic, p)
	})
}

// Pause asks the running rollout of a service to stop after the batch in
// flight (or the timed pause under way), recorded paused.
func (h *Host) Pause(ctx context.Context, opts GateOptions, p rollout.Progress) (*RolloutResult, error) {
	return h.gateVerb(ctx, opts, p, release.RequestPause, func(_ *session, rec *release.Record) (*RolloutResult, error) {
		if rec.Result == release.ResultPaused {
			return &RolloutResult{Record: rec}, inputf("rollout %s of %s is already paused (%s)", rec.ID, opts.Service, rec.Reason)
		}
		return nil, inputf("rollout %s of %s is not running (%s): nothing to pause; `sysroll resume %s` continues it, `sysroll abort %s` undoes it",
			rec.ID, opts.Service, rec.Result, opts.Service, opts.Service)
	})
}

// gateVerb runs a verb on the unfinished rollout of a service: under the
// lock when no process runs it (act), else by leaving that process a
// request and waiting for it to be taken.
func (h *Host) gateVerb(ctx context.Context, opts GateOptions, p rollout.Progress, action release.RequestAction,
	act func(s *session, rec *release.Record) (*RolloutResult, error)) (*RolloutResult, error) {
	s, err := h.begin(ctx, opts.Service, opts.Traffic, false, p)
	if errors.Is(err, release.ErrLocked) {
		return h.request(ctx, opts, p, action, err)
	}
	if err != nil {
		return nil, err
	}
	defer s.close()
	if err := h.refuseFleetClaimed(opts.Service, string(action), h.Fleet); err != nil {
		return nil, err
	}
	rec, err := unfinished(s.store)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, inputf("no rollout of %s is unfinished: nothing to %s (a finished one is undone with `sysroll rollback %s`)", opts.Service, action, opts.Service)
	}
	if opts.Rollout != "" && opts.Rollout != rec.ID {
		return nil, inputf("the unfinished rollout of %s is %s, not %s: nothing done (see `sysroll status %s`)", opts.Service, rec.ID, opts.Rollout, opts.Service)
	}
	return act(s, rec)
}

// resume continues rec under the session's lock.
func (s *session) resume(ctx context.Context, rec *release.Record, proof *TrafficProof, p rollout.Progress) (*RolloutResult, error) {
	spec := s.spec(rec.Kind, rec.To)
	spec.ID = rec.ID
	return s.run(ctx, p, proof, func(d rollout.Deps) (*release.Record, error) {
		return rollout.Resume(ctx, rec, spec, d)
	})
}

// undo marks the pause rec waits at (if any) as res, stops its expiry
// timer, and rolls the rollout back, recording why.
func (s *session) undo(ctx context.Context, rec *release.Record, why string, res release.PauseResult, proof *TrafficProof, p rollout.Progress) (*RolloutResult, error) {
	if i := rec.Waiting(); i >= 0 {
		rec.Pauses[i].Result, rec.Pauses[i].Ended, rec.Pauses[i].Message = res, time.Now(), why
		if err := s.store.SaveRecord(rec); err != nil {
			return nil, err
		}
		s.disarm(ctx, rec.Pauses[i])
	}
	if err := s.checkReverts(rec); err != nil {
		return nil, err
	}
	spec := s.spec(rec.Kind, rec.To)
	spec.ID, spec.UndoReason = rec.ID, why
	return s.run(ctx, p, proof, func(d rollout.Deps) (*release.Record, error) {
		return rollout.RollbackRecord(ctx, rec, spec, d)
	})
}

// disarm stops a pause's expiry timer; a failure is only worth a warning:
// the expiry it would run finds the rollout no longer waiting.
func (s *session) disarm(ctx context.Context, q release.Pause) {
	if q.Timer == "" {
		return
	}
	if err := (&timerExpiry{h: s.h, m: s.m}).Disarm(ctx, q.Timer); err != nil && s.p != nil {
		s.p.Event(rollout.Event{Service: s.svc.Name, Time: time.Now(), Type: rollout.EventWarning, Batch: -1,
			Message: fmt.Sprintf("stop the expiry timer %s: %v (when it fires it finds the rollout no longer waiting and does nothing)", q.Timer, err)})
	}
}

// expiredPause refuses to continue a rollout whose waiting pause is past
// its expiry: its timer may have been lost (transient units do not survive
// a reboot), and the operator said how long a gate may wait.
func expiredPause(rec *release.Record, service string) error {
	i := rec.Waiting()
	if i < 0 {
		return nil
	}
	q := rec.Pauses[i]
	if q.ExpiresAt.IsZero() || time.Now().Before(q.ExpiresAt) {
		return nil
	}
	return inputf("the %s of rollout %s of %s expired at %s (on_pause_expiry: %s): it is not passed any more; `sysroll abort %s` undoes the rollout",
		q.Label(), rec.ID, service, q.ExpiresAt.Local().Format(time.DateTime), q.OnExpiry, service)
}

// refuseGate is resume's rule: it continues a rollout interrupted or
// paused by hand, never one waiting at a gate (only promote passes that),
// and none past its expiry.
func refuseGate(rec *release.Record, service string) error {
	i := rec.Waiting()
	if rec.Result != release.ResultPaused || i < 0 {
		return nil
	}
	if q := rec.Pauses[i]; q.Kind != release.PauseManual {
		return inputf("rollout %s of %s waits at the %s after batch %d: resume never passes it; `sysroll promote %s` does, `sysroll abort %s` undoes the rollout",
			rec.ID, service, q.Label(), q.After+1, service, service)
	}
	return expiredPause(rec, service)
}

// PausedSince says where a paused rollout waits, since when and until
// when: "paused at the approval gate after batch 1 (pause 1) since
// 12:00:01, expires 2026-12-02 12:00:01".
func PausedSince(rec *release.Record) string {
	i := rec.Waiting()
	if i < 0 {
		return "paused"
	}
	q := rec.Pauses[i]
	s := fmt.Sprintf("paused at the %s after batch %d (pause %d)", q.Label(), q.After+1, i+1)
	if !q.Started.IsZero() {
		s += " since " + q.Started.Local().Format(time.DateTime)
	}
	if !q.ExpiresAt.IsZero() {
		if time.Now().After(q.ExpiresAt) {
			s += ", EXPIRED at " + q.ExpiresAt.Local().Format(time.DateTime)
		} else {
			s += ", expires " + q.ExpiresAt.Local().Format(time.DateTime)
		}
	}
	return s
}

// NextCommands are the ways on from a paused rollout.
func NextCommands(rec *release.Record, n string) string {
	i := rec.Waiting()
	if i >= 0 && rec.Pauses[i].Kind == release.PauseManual {
		return fmt.Sprintf("`sysroll resume %s` continues it, `sysroll abort %s` undoes it", n, n)
	}
	return fmt.Sprintf("`sysroll promote %s --pause %d` passes the gate, `sysroll abort %s` undoes the rollout", n, i+1, n)
}
