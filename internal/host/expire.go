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

// ExpireOptions names the pause whose expiry timer fired.
type ExpireOptions struct {
	Service, Rollout string
	// Pause is the 1-based index of the record's pause.
	Pause int
}

// ExpireResult says what an expiry did.
type ExpireResult struct {
	// Done is false when there was nothing to do, and Why says why.
	Done bool
	Why  string
	*RolloutResult
}

// expirySlack is how early a timer may fire (AccuracySec=1s) and still
// count: systemd coalesces timer wake-ups.
const expirySlack = 2 * time.Second

// Expire runs the expiry action of a pause whose time ran out: what a
// pause's transient timer runs, with no other sysroll process alive. It
// does nothing (Done false) if someone holds the lock (they are acting on
// the rollout), or if the rollout no longer waits at that pause: the timer
// is stale. on_pause_expiry: rollback undoes the rollout; keep ends it
// halted, every instance as it is.
func (h *Host) Expire(ctx context.Context, opts ExpireOptions, p rollout.Progress) (*ExpireResult, error) {
	s, err := h.begin(ctx, opts.Service, nil, false, p)
	if errors.Is(err, release.ErrLocked) {
		return &ExpireResult{Why: fmt.Sprintf("the rollout lock is held (%v): someone is acting on it, so the expiry does nothing", err)}, nil
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
	if rec != nil {
		i = rec.Waiting()
	}
	switch {
	case rec == nil || rec.ID != opts.Rollout:
		return &ExpireResult{Why: fmt.Sprintf("rollout %s of %s is not unfinished any more: nothing to expire", opts.Rollout, opts.Service)}, nil
	case rec.Result != release.ResultPaused || i+1 != opts.Pause:
		return &ExpireResult{Why: fmt.Sprintf("rollout %s of %s no longer waits at pause %d (%s): nothing to expire", rec.ID, opts.Service, opts.Pause, rec.Result)}, nil
	case time.Now().Add(expirySlack).Before(rec.Pauses[i].ExpiresAt):
		return &ExpireResult{Why: fmt.Sprintf("pause %d of rollout %s expires at %s, not yet", opts.Pause, rec.ID, rec.Pauses[i].ExpiresAt.Local().Format(time.DateTime))}, nil
	}
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
		return &ExpireResult{Done: true, Why: rec.Reason, RolloutResult: &RolloutResult{Record: rec}}, nil
	}
	res, err := s.undo(ctx, rec, why, release.PauseExpired, nil, p)
	return &ExpireResult{Done: true, Why: why, RolloutResult: res}, err
}
