package host

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
)

// CheckPauseOptions names the pause a timer checks.
type CheckPauseOptions struct {
	Service, Rollout string
	// Pause is the 1-based index of the record's pause.
	Pause int
}

// CheckPauseResult says what a check did.
type CheckPauseResult struct {
	// Acted is false when there was nothing to do, and Why says why.
	Acted bool
	Why   string
	*RolloutResult
}

// expirySlack is how early a pause may be taken as expired: the timer
// runs every WatchEvery, with AccuracySec=1s.
const expirySlack = 2 * time.Second

// CheckPause is what a waiting pause's transient timer runs, every
// rollout.WatchEvery, with no other sysroll process alive:
//   - someone holds the lock: they are acting on the rollout; nothing done;
//   - the rollout no longer waits at that pause: the timer is stale and is
//     stopped;
//   - the pause expired: on_pause_expiry runs (rollback undoes the
//     rollout; keep ends it halted, every instance as it is);
//   - else the pause's canaries are checked (rollout.CheckPaused): one that
//     restarted, stopped or fails its probes fails its batch, and the
//     failure action applies.
func (h *Host) CheckPause(ctx context.Context, opts CheckPauseOptions, p rollout.Progress) (*CheckPauseResult, error) {
	// h.open, not begin: the check must not wait for a lock someone holds
	// (begin waits out this very check for the other verbs).
	s, err := h.open(ctx, opts.Service)
	if err == nil {
		s.p = p
	}
	if errors.Is(err, release.ErrLocked) {
		return &CheckPauseResult{Why: fmt.Sprintf("the rollout lock is held (%v): someone is acting on it, so this check does nothing", err)}, nil
	}
	if _, ok := errors.AsType[*InputError](err); ok {
		// Uninstalled (or renamed) since: nothing will wait at the pause
		// again, and a timer left would fail every few seconds forever.
		h.stopTimer(ctx, expiryUnit(opts.Service, opts.Rollout, opts.Pause-1)+".timer")
		return &CheckPauseResult{Why: fmt.Sprintf("%v: nothing to check, the timer is stopped", err)}, nil
	}
	if err != nil {
		return nil, err
	}
	defer s.close()
	rec, err := unfinished(s.store)
	if err != nil {
		return nil, err
	}
	i := -1
	if rec != nil && rec.ID == opts.Rollout && rec.Result == release.ResultPaused {
		i = rec.Waiting()
	}
	if i < 0 || i+1 != opts.Pause {
		s.disarm(ctx, release.Pause{Timer: expiryUnit(opts.Service, opts.Rollout, opts.Pause-1) + ".timer"})
		return &CheckPauseResult{Why: fmt.Sprintf("rollout %s of %s no longer waits at pause %d: nothing to do, its timer is stopped", opts.Rollout, opts.Service, opts.Pause)}, nil
	}
	q := rec.Pauses[i]
	if !time.Now().Add(expirySlack).Before(q.ExpiresAt) {
		return s.expire(ctx, rec, i, p)
	}
	spec := s.spec(rec.Kind, rec.To)
	spec.ID = rec.ID
	var acted bool
	res, err := s.run(ctx, p, nil, func(d rollout.Deps) (*release.Record, error) {
		out, a, err := rollout.CheckPaused(ctx, rec, spec, d)
		acted = a
		return out, err
	})
	if !acted {
		return &CheckPauseResult{Why: "every updated instance is the process the pause recorded, running and healthy"}, err
	}
	s.disarm(ctx, q)
	return &CheckPauseResult{Acted: true, Why: "an updated instance changed while the pause waited: its batch failed", RolloutResult: res}, err
}

// expire runs the expiry action of pause i of rec.
func (s *session) expire(ctx context.Context, rec *release.Record, i int, p rollout.Progress) (*CheckPauseResult, error) {
	q := rec.Pauses[i]
	waited := time.Since(q.Started).Round(time.Second)
	why := fmt.Sprintf("the %s after batch %d expired after %s (pause_expiry), on_pause_expiry: %s", q.Label(), q.After+1, waited, q.OnExpiry)
	if q.OnExpiry == string(config.ExpiryKeep) {
		now := time.Now()
		rec.Pauses[i].Result, rec.Pauses[i].Ended, rec.Pauses[i].Message = release.PauseExpired, now, why
		rec.Result, rec.Reason, rec.Ended = release.ResultHalted, why+": every instance stays as it is", now
		if err := s.store.SaveRecord(rec); err != nil {
			return nil, err
		}
		s.disarm(ctx, q)
		return &CheckPauseResult{Acted: true, Why: rec.Reason, RolloutResult: &RolloutResult{Record: rec}}, nil
	}
	res, err := s.undo(ctx, rec, why, release.PauseExpired, nil, p)
	return &CheckPauseResult{Acted: true, Why: why, RolloutResult: res}, err
}

// stopTimer stops a pause's timer without a session (the service is gone).
func (h *Host) stopTimer(ctx context.Context, timer string) {
	m, err := h.connect(ctx)
	if err != nil {
		return
	}
	defer m.Close()
	_ = (&timerExpiry{h: h, m: m}).Disarm(ctx, timer)
}
