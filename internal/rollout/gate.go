package rollout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sysroll/sysroll/internal/analysis"
	"github.com/sysroll/sysroll/internal/release"
)

// ErrPaused is wrapped by the error of a rollout that stopped at a pause
// no process waits out (an approval gate, `sysroll pause`, an inconclusive
// analysis with on_inconclusive: pause): nothing failed, the record says
// paused, the lock is free, and the instances all serve.
var ErrPaused = errors.New("paused")

// PausedError is the rollout stopped at Pause (index Index of the
// record's Pauses).
type PausedError struct {
	Service, Rollout string
	Index            int
	Pause            release.Pause
}

func (e *PausedError) Error() string {
	return fmt.Sprintf("rollout %s of %s paused at the %s after batch %d", e.Rollout, e.Service, e.Pause.Label(), e.Pause.After+1)
}

func (e *PausedError) Unwrap() error { return ErrPaused }

// ErrAborted is wrapped by the error of a rollout `sysroll abort` ended:
// every instance it touched was put back.
var ErrAborted = errors.New("aborted")

// park stops the rollout at pause i, one no process waits out: it records
// which process each updated instance runs (so promote can prove the
// canary is the one that passed), when the pause expires and the timer
// that enforces it, returns every instance to traffic and ends the rollout
// paused. Nothing failed: the error wraps ErrPaused.
func (e *engine) park(ctx context.Context, i int) (*release.Record, error) {
	p := e.snapshot().Pauses[i]
	watch := p.Watch
	if watch == nil {
		var err error
		if watch, err = e.identities(ctx, e.watched(p.After)); err != nil {
			if ctx.Err() != nil {
				return e.interrupted(ctx)
			}
			return e.end(ctx, release.ResultHalted, fmt.Sprintf("could not record the updated instances at the %s: %v", p.Label(), err), err)
		}
	}
	s := e.spec.Strategy.WithDefaults()
	now := time.Now()
	expires := now.Add(s.PauseExpiry)
	timer := ""
	if e.deps.Expiry != nil {
		every := max(e.spec.Gate.WithDefaults().Interval, WatchEvery)
		t, err := e.deps.Expiry.Arm(finishing(ctx), ExpiryArm{Service: e.spec.Service, Rollout: e.rec.ID, Pause: i, At: expires, Every: every})
		if err != nil {
			e.warn("", p.After, "no timer enforces the expiry of the %s (%v): any sysroll command on %s still treats it as expired after %s",
				p.Label(), err, e.spec.Service, expires.Local().Format(time.DateTime))
		}
		timer = t
	}
	if err := e.save(func(r *release.Record) {
		q := &r.Pauses[i]
		q.Result, q.Watch, q.ExpiresAt, q.OnExpiry, q.Timer = release.PauseWaiting, watch, expires, string(s.OnPauseExpiry), timer
		if q.Started.IsZero() {
			q.Started = now
		}
	}); err != nil {
		e.warn("", p.After, "%v", err)
	}
	p = e.snapshot().Pauses[i]
	e.emit(Event{Type: EventPause, Batch: p.After, PauseResult: release.PauseWaiting,
		Message: fmt.Sprintf("stopping at the %s after batch %d; it expires at %s (on_pause_expiry: %s)",
			p.Label(), p.After+1, expires.Local().Format(time.DateTime), s.OnPauseExpiry)})
	reason := fmt.Sprintf("paused at the %s after batch %d", p.Label(), p.After+1)
	if p.Reason != "" {
		reason += ": " + p.Reason
	}
	return e.end(ctx, release.ResultPaused, reason, &PausedError{Service: e.spec.Service, Rollout: e.rec.ID, Index: i, Pause: p})
}

// identities reads the process each instance runs now.
func (e *engine) identities(ctx context.Context, names []string) ([]release.Watched, error) {
	out := []release.Watched{}
	for _, n := range names {
		u, err := e.deps.Manager.Unit(ctx, e.spec.Unit(n))
		if err != nil {
			return nil, fmt.Errorf("read the unit of %s: %w", n, err)
		}
		out = append(out, release.Watched{Name: n, InvocationID: u.InvocationID, NRestarts: u.NRestarts})
	}
	return out, nil
}

// takeRequest reads, before batch b, what a command left for this
// process. A pause request adds a manual pause after the batch before
// (pausesBefore then parks there); before the first batch there is none
// to follow, so it waits for the next boundary. An abort undoes the
// rollout. A promote passes the timed pause it names if that pause is
// still to come. It returns stopped when the rollout ends here.
func (e *engine) takeRequest(ctx context.Context, b int) (*release.Record, bool, error) {
	req := e.pending()
	if req == nil {
		return nil, false, nil
	}
	switch req.Action {
	case release.RequestPause:
		if b == 0 {
			return nil, false, nil
		}
		e.clearRequest()
		if err := e.save(func(r *release.Record) {
			r.Pauses = append(r.Pauses, release.Pause{After: b - 1, Kind: release.PauseManual, By: req.By, Reason: req.Reason})
		}); err != nil {
			e.warn("", b, "%v", err)
		}
		return nil, false, nil
	case release.RequestAbort:
		e.clearRequest()
		rec, err := e.abort(ctx, req)
		return rec, true, err
	case release.RequestPromote:
		e.clearRequest()
		ps := e.snapshot().Pauses
		if req.Pause < 0 || req.Pause >= len(ps) || ps[req.Pause].Done() || ps[req.Pause].Waits() {
			e.warn("", b, "promote from %s ignored: pause %d is not a timed pause still to come", req.By, req.Pause+1)
			return nil, false, nil
		}
		e.promoted(req.Pause, req)
	}
	return nil, false, nil
}

// requestInPause reads, at each health interval of timed pause i, a
// request that ends it: an abort, or a promote of that very pause. A pause
// request waits for the batch boundary the pause ends at.
func (e *engine) requestInPause(i int) (release.PauseResult, bool) {
	req := e.pending()
	if req == nil {
		return "", false
	}
	switch {
	case req.Action == release.RequestAbort:
		e.clearRequest()
		e.takenAbort = req
		return release.PauseAborted, true
	case req.Action == release.RequestPromote && req.Pause == i:
		e.clearRequest()
		e.promoted(i, req)
		return release.PausePromoted, true
	case req.Action == release.RequestPromote:
		e.clearRequest()
		e.warn("", e.snapshot().Pauses[i].After, "promote from %s ignored: it names pause %d, the rollout is in pause %d", req.By, req.Pause+1, i+1)
	}
	return "", false
}

// promoted records who passed pause i.
func (e *engine) promoted(i int, req *release.Request) {
	now := time.Now()
	if err := e.save(func(r *release.Record) {
		q := &r.Pauses[i]
		q.Promotion = &release.Promotion{By: req.By, At: now, Reason: req.Reason}
		q.Result, q.Ended = release.PausePromoted, now
	}); err != nil {
		e.warn("", -1, "%v", err)
	}
	p := e.snapshot().Pauses[i]
	e.emit(Event{Type: EventPauseEnd, Batch: p.After, PauseResult: release.PausePromoted, Message: promotionLine(p)})
}

// promotionLine says who promoted a pause, and why.
func promotionLine(p release.Pause) string {
	if p.Promotion == nil {
		return ""
	}
	s := "promoted by " + p.Promotion.By
	if p.Promotion.Reason != "" {
		s += ": " + p.Promotion.Reason
	}
	return s
}

func (e *engine) pending() *release.Request {
	if e.deps.Requests == nil {
		return nil
	}
	req, err := e.deps.Requests.PendingRequest(e.rec.ID)
	if err != nil {
		e.warn("", -1, "%v", err)
		return nil
	}
	return req
}

func (e *engine) clearRequest() {
	if err := e.deps.Requests.ClearRequest(e.rec.ID); err != nil {
		e.warn("", -1, "%v", err)
	}
}

// abort undoes the rollout as `sysroll abort` asked: every instance it
// touched goes back to where it was, newest batch first, gated. The
// error wraps ErrAborted even when every revert passed: the rollout did
// not do what it was started for.
func (e *engine) abort(ctx context.Context, req *release.Request) (*release.Record, error) {
	why := "aborted"
	if req != nil {
		why += " by " + req.By
		if req.Reason != "" {
			why += ": " + req.Reason
		}
	}
	live, err := e.liveAll(ctx)
	if err != nil {
		return e.end(ctx, release.ResultFailed, why+"; "+err.Error(), err)
	}
	if err := e.save(func(r *release.Record) {
		r.Undo = true
		if w := r.Waiting(); w >= 0 {
			r.Pauses[w].Result, r.Pauses[w].Ended = release.PauseAborted, time.Now()
		}
	}); err != nil {
		return e.end(ctx, release.ResultFailed, why+"; "+err.Error(), err)
	}
	e.emit(Event{Type: EventDecision, Batch: -1, Message: why + ": every instance the rollout touched goes back"})
	rec, err := e.undoRecord(ctx, live, "aborting", why)
	return rec, errors.Join(fmt.Errorf("rollout %s %w", e.rec.ID, errors.Join(ErrAborted, errors.New(why))), err)
}

// liveAll reads where every instance of the record is now.
func (e *engine) liveAll(ctx context.Context) (map[string]Live, error) {
	live := map[string]Live{}
	for _, in := range e.snapshot().Instances {
		if in.Removed {
			continue
		}
		cur, err := e.deps.Releases.Current(in.Name)
		if err != nil {
			return nil, fmt.Errorf("read current release of %s: %w", in.Name, err)
		}
		u, err := e.deps.Manager.Unit(ctx, e.spec.Unit(in.Name))
		if err != nil {
			return nil, err
		}
		live[in.Name] = Live{Current: cur, Unit: u}
	}
	return live, nil
}

// unpark takes a paused rollout up again past the pause it waits at: a
// gate or an inconclusive pause once promoted (its Promotion set by the
// caller), a manual pause once resumed. It first proves every instance the
// pause watched is still the process it was (same InvocationID and
// NRestarts, running, probes passing): a canary that restarted or died
// while nobody watched fails its batch, and the failure action applies
// (stopped is then true).
func (e *engine) unpark(ctx context.Context, reverted []string) (*release.Record, bool, error) {
	i := e.snapshot().Waiting()
	if i < 0 {
		return nil, false, nil
	}
	p := e.snapshot().Pauses[i]
	if p.Kind != release.PauseManual && p.Promotion == nil {
		err := fmt.Errorf("%w: rollout %s waits at the %s after batch %d: only `sysroll promote %s` passes it", ErrNotResumable, e.rec.ID, p.Label(), p.After+1, e.spec.Service)
		rec, _ := e.end(ctx, release.ResultPaused, fmt.Sprintf("paused at the %s after batch %d", p.Label(), p.After+1), nil)
		return rec, true, err
	}
	start := time.Now()
	if bs := e.stillSame(ctx, p.Watch); len(bs) > 0 {
		e.endPause(i, release.PauseFailed, 0, bs)
		e.disarm(p)
		rec, err := e.breached(ctx, p, bs, start, reverted)
		return rec, true, err
	}
	if ctx.Err() != nil {
		rec, err := e.interrupted(ctx)
		return rec, true, err
	}
	res, msg := release.PausePromoted, promotionLine(p)
	if p.Kind == release.PauseManual {
		res, msg = release.PauseResumed, "resumed by "+e.spec.User
	}
	now := time.Now()
	if err := e.save(func(r *release.Record) { r.Pauses[i].Result, r.Pauses[i].Ended = res, now }); err != nil {
		e.warn("", p.After, "%v", err)
	}
	e.disarm(p)
	e.emit(Event{Type: EventPauseEnd, Batch: p.After, PauseResult: res, Message: msg})
	return nil, false, nil
}

// stillSame checks the instances a waiting pause recorded: each is the
// same process, running, and passes its probes (up to unhealthy_threshold
// checks, an interval apart, before a failing probe counts).
func (e *engine) stillSame(ctx context.Context, watch []release.Watched) []breach {
	g := e.spec.Gate.WithDefaults()
	fails := map[string]int{}
	for {
		bs := e.checkWatched(ctx, g, watch, fails)
		if len(bs) > 0 || ctx.Err() != nil || !anyFailing(fails) {
			return bs
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(g.Interval):
		}
	}
}

func anyFailing(fails map[string]int) bool {
	for _, n := range fails {
		if n > 0 {
			return true
		}
	}
	return false
}

// disarm stops a pause's expiry timer, once the pause no longer waits.
func (e *engine) disarm(p release.Pause) {
	if e.deps.Expiry == nil || p.Timer == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.deps.Expiry.Disarm(ctx, p.Timer); err != nil {
		e.warn("", p.After, "stop the expiry timer %s: %v", p.Timer, err)
	}
}

// WatchEvery is how often a waiting pause's timer checks its canaries
// (CheckPaused) when the health interval is shorter: each check is a
// process systemd starts.
const WatchEvery = 10 * time.Second

// CheckPaused is what a waiting pause's timer runs, with no sysroll
// process alive: it checks that every instance the pause recorded is still
// the process it was, running and healthy. If so it changes nothing
// (acted false). If not, the batch the pause follows fails and the failure
// action applies, as at a promote: a canary that crashes while its gate
// waits is rolled back then, not when someone next looks. The caller holds
// the lock; rec must be paused.
func CheckPaused(ctx context.Context, rec *release.Record, spec Spec, deps Deps) (out *release.Record, acted bool, err error) {
	i := rec.Waiting()
	if rec.Result != release.ResultPaused || i < 0 {
		return rec, false, fmt.Errorf("%w: rollout %s is %s, not waiting at a pause", ErrNotResumable, rec.ID, rec.Result)
	}
	d, err := deps.withDefaults()
	if err != nil {
		return rec, false, err
	}
	look := newEngine(spec.withDefaults(), d, cloneRecord(rec))
	bs := look.stillSame(ctx, rec.Pauses[i].Watch)
	if len(bs) == 0 || ctx.Err() != nil {
		return rec, false, nil
	}
	e, _, err := reopen(ctx, rec, spec, deps, false, false)
	if err != nil {
		return rec, false, err
	}
	p := e.snapshot().Pauses[i]
	var reverted []string
	for _, in := range e.snapshot().Instances {
		if in.Phase == release.PhaseReverted {
			reverted = append(reverted, in.Name)
		}
	}
	e.emit(Event{Type: EventRolloutStart, Batch: -1, Message: fmt.Sprintf("checking the %s of %s %s: an updated instance changed while it waited", p.Label(), rec.Kind, rec.ID)})
	e.endPause(i, release.PauseFailed, 0, bs)
	out, err = e.breached(ctx, p, bs, time.Now(), reverted)
	return out, true, err
}

// parkInconclusive stops the rollout after batch b, whose analysis was
// inconclusive (too few requests, say) with on_inconclusive: pause: an
// inconclusive result never promotes by itself (argo-rollouts#3850); an
// operator promotes (accepting it) or aborts.
func (e *engine) parkInconclusive(ctx context.Context, b int, bv analysis.BatchVerdict) (*release.Record, error) {
	i := -1
	if err := e.save(func(r *release.Record) {
		r.Pauses = append(r.Pauses, release.Pause{After: b, Kind: release.PauseInconclusive, By: "analysis", Reason: "analysis inconclusive: " + bv.Reason})
		i = len(r.Pauses) - 1
	}); err != nil {
		return e.end(ctx, release.ResultHalted, "analysis inconclusive, and the pause could not be recorded: "+err.Error(), err)
	}
	return e.park(ctx, i)
}
