package host

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
)

// ErrRequestNotTaken is wrapped when a running rollout did not take a
// request within GateOptions.Wait: it is left for it, and taken at its
// next batch boundary.
var ErrRequestNotTaken = errors.New("request not taken yet")

// request leaves a running rollout a request (its process holds the lock,
// locked is the refusal) and waits until it is taken and acted on: a pause
// until the record says paused, an abort until it ended, a promote until
// it was taken. If the process ends without taking it, the request is
// withdrawn and the verb is run again, under the lock.
func (h *Host) request(ctx context.Context, opts GateOptions, p rollout.Progress, action release.RequestAction, locked error) (*RolloutResult, error) {
	store, err := h.installedStore(opts.Service)
	if err != nil {
		return nil, err
	}
	rec, err := store.Unfinished()
	if err != nil {
		return nil, err
	}
	if rec == nil || rec.Result != release.ResultRunning {
		// Held by something that is not a rollout (apply, uninstall).
		return nil, locked
	}
	if opts.Rollout != "" && opts.Rollout != rec.ID {
		return nil, inputf("the running rollout of %s is %s, not %s: nothing done", opts.Service, rec.ID, opts.Rollout)
	}
	req := release.Request{Action: action, By: h.who(), At: time.Now(), Reason: opts.Reason}
	if action == release.RequestPromote {
		i := runningPause(rec)
		if i < 0 {
			return nil, inputf("rollout %s of %s is running a batch, not waiting at a pause: nothing to promote (promote passes an approval gate the rollout stopped at, or the timed pause under way)", rec.ID, opts.Service)
		}
		if opts.Pause != 0 && opts.Pause != i+1 {
			return nil, inputf("rollout %s of %s is in pause %d (the %s after batch %d), not pause %d: nothing promoted", rec.ID, opts.Service, i+1, rec.Pauses[i].Label(), rec.Pauses[i].After+1, opts.Pause)
		}
		req.Pause = i
	}
	if err := store.WriteRequest(rec.ID, req); err != nil {
		return nil, err
	}
	wait := opts.Wait
	if wait <= 0 {
		wait = DefaultRequestWait
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(requestPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("stopped waiting: the request stays for rollout %s to take (%w)", rec.ID, ctx.Err())
		case <-deadline.C:
			return nil, fmt.Errorf("%w: rollout %s did not %s within %s; the request stays, taken at its next batch boundary", ErrRequestNotTaken, rec.ID, action, wait)
		case <-tick.C:
		}
		pending, err := store.PendingRequest(rec.ID)
		if err != nil {
			return nil, err
		}
		now, err := store.Record(rec.ID)
		if err != nil {
			return nil, err
		}
		running := now.Result == release.ResultRunning && store.Alive(now.PID)
		switch {
		case pending != nil && !running:
			// It ended (or died) without taking the request.
			if err := store.ClearRequest(rec.ID); err != nil {
				return nil, err
			}
			if action == release.RequestPause && now.Result != release.ResultRunning {
				return &RolloutResult{Record: now}, fmt.Errorf("rollout %s ended %s before it reached another batch boundary: nothing was paused", rec.ID, now.Result)
			}
			return h.again(ctx, opts, p, action) // killed: act ourselves, under the lock
		case pending != nil:
			continue
		case action == release.RequestPromote:
			return &RolloutResult{Record: now}, nil
		case !running:
			return &RolloutResult{Record: now}, nil
		}
	}
}

// again runs a verb whose request the rollout did not take, now that it
// has ended.
func (h *Host) again(ctx context.Context, opts GateOptions, p rollout.Progress, action release.RequestAction) (*RolloutResult, error) {
	switch action {
	case release.RequestAbort:
		return h.Abort(ctx, opts, p)
	case release.RequestPromote:
		return h.Promote(ctx, opts, p)
	}
	return h.Pause(ctx, opts, p)
}

// runningPause is the index of the timed pause rec is in, or -1.
func runningPause(rec *release.Record) int {
	for i, p := range rec.Pauses {
		if !p.Waits() && p.Result == release.PauseRunning {
			return i
		}
	}
	return -1
}
