package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/health"
	"github.com/sysroll/sysroll/internal/release"
)

// ErrPauseBreach marks an instance that restarted, stopped or failed its
// probes during a timed pause: a failure of its batch.
var ErrPauseBreach = errors.New("failed during the pause")

// pauseSave bounds how often a pause writes how long it has waited: a
// kill -9 loses at most this much of the watched time, which a resume
// waits again.
const pauseSave = 5 * time.Second

// breach is one watched instance found unwell during a pause.
type breach struct {
	name, why string
}

// pausesBefore waits out, in order, every timed pause of the record that
// follows a batch before b and is not done yet (one, in a rollout; a
// resume may find the one it was in). The pause is watched (watchPause).
// It returns stopped when the rollout ends here: interrupted, or a breach
// made its batch fail and the failure action was applied; rec and err are
// then the rollout's. Paused time does not count against the progress
// deadline: the deadline moves by the time waited.
func (e *engine) pausesBefore(ctx context.Context, b int, reverted []string) (rec *release.Record, stopped bool, err error) {
	for i, p := range e.snapshot().Pauses {
		if p.After >= b || p.Done() {
			continue
		}
		if p.Waits() {
			// A gate, or a manual or inconclusive pause: no process waits
			// it out (gate.go).
			rec, err := e.park(ctx, i)
			return rec, true, err
		}
		start := time.Now()
		res, breaches := e.watchPause(ctx, i)
		if !e.deadline.IsZero() {
			e.deadline = e.deadline.Add(time.Since(start))
		}
		switch res {
		case release.PausePassed, release.PausePromoted:
			continue
		case release.PauseAborted:
			rec, err := e.abort(ctx, e.takenAbort)
			return rec, true, err
		case release.PauseInterrupted:
			q := e.snapshot().Pauses[i]
			rec, err := e.end(ctx, release.ResultInterrupted,
				fmt.Sprintf("interrupted during the %s pause after batch %d, %s of it left; no instance was mid-step (deploy --resume waits the rest, watched)",
					q.Duration, q.After+1, remaining(q).Round(time.Second)),
				fmt.Errorf("rollout %s interrupted: %w", e.rec.ID, ctx.Err()))
			return rec, true, err
		}
		rec, err := e.breached(ctx, p, breaches, start, reverted)
		return rec, true, err
	}
	return nil, false, nil
}

// breached fails the batch pause p follows, its breaches being its
// instances' failures, and applies the failure action.
func (e *engine) breached(ctx context.Context, p release.Pause, breaches []breach, start time.Time, reverted []string) (*release.Record, error) {
	fin := finishing(ctx)
	var failed []*FailedError
	o := Outcome{Batches: e.snapshot().Batches, Batch: p.After, Reverted: reverted}
	for _, br := range breaches {
		cause := fmt.Errorf("%w (%s after batch %d): %s", ErrPauseBreach, p.Label(), p.After+1, br.why)
		var fe *FailedError
		errors.As(e.failed(fin, p.After, br.name, release.PhaseGate, cause, nil, start), &fe)
		failed = append(failed, fe)
		o.Failed = append(o.Failed, br.name)
	}
	// The budget tolerates instances failing their gate, each reverted
	// on its own; a breach during a pause is what the pause is for, and
	// stops the rollout whatever the budget.
	s := e.spec.Strategy
	s.FailureBudget = 0
	dec := Evaluate(o, s)
	dec.Reason = "during the " + p.Label() + ": " + dec.Reason
	e.emit(Event{Type: EventDecision, Batch: p.After, Message: dec.Reason})
	return e.stop(ctx, dec, failed, nil)
}

// watched lists the instances a pause after batch `after` watches: every
// instance this rollout stepped forward in that batch or before, now done.
func (e *engine) watched(after int) []string {
	var out []string
	for _, in := range e.snapshot().Instances {
		if !in.Removed && in.Phase == release.PhaseDone && in.Batch >= 0 && in.Batch <= after {
			out = append(out, in.Name)
		}
	}
	return out
}

// watchPause waits out pause i (what is left of it), checking every health
// interval that each watched instance still runs the process it ran when
// the pause began (same InvocationID, NRestarts unchanged, running) and
// passes its probes (failing unhealthy_threshold checks in a row is a
// breach). The first check is at once: a resume catches a restart that
// happened while no process watched. It records the pause as it goes.
func (e *engine) watchPause(ctx context.Context, i int) (release.PauseResult, []breach) {
	p := e.snapshot().Pauses[i]
	g := e.spec.Gate.WithDefaults()
	if p.Watch == nil {
		names := e.watched(p.After)
		p.Watch = []release.Watched{}
		for _, n := range names {
			u, err := e.deps.Manager.Unit(ctx, e.spec.Unit(n))
			if err != nil {
				if ctx.Err() != nil {
					return e.pauseInterrupted(i, p.Waited), nil
				}
				return e.endPause(i, release.PauseFailed, p.Waited, []breach{{n, fmt.Sprintf("read its unit: %v", err)}})
			}
			p.Watch = append(p.Watch, release.Watched{Name: n, InvocationID: u.InvocationID, NRestarts: u.NRestarts})
		}
	}
	left := remaining(p)
	started := time.Now()
	if err := e.save(func(r *release.Record) {
		q := &r.Pauses[i]
		q.Result, q.Watch, q.Ended, q.Message = release.PauseRunning, p.Watch, time.Time{}, ""
		if q.Started.IsZero() {
			q.Started = started
		}
	}); err != nil {
		e.warn("", p.After, "%v", err)
	}
	var names []string
	for _, w := range p.Watch {
		names = append(names, w.Name)
	}
	e.emit(Event{Type: EventPause, Batch: p.After, Wait: left,
		Message: fmt.Sprintf("pausing %s after batch %d, watching %s", left.Round(time.Millisecond), p.After+1, strings.Join(names, ", "))})

	end := time.NewTimer(left)
	defer end.Stop()
	tick := time.NewTicker(g.Interval)
	defer tick.Stop()
	fails := map[string]int{}
	lastSave := started
	waited := func() time.Duration { return p.Waited + time.Since(started) }
	pa := e.startPauseAnalysis(ctx, i, p.Watch) // nil without an analysis (analysis_pause.go)
	defer pa.end()
	for {
		if bs := e.checkWatched(ctx, g, p.Watch, fails); len(bs) > 0 {
			return e.endPause(i, release.PauseFailed, waited(), bs)
		}
		if bs := pa.check(ctx); len(bs) > 0 {
			return e.endPause(i, release.PauseFailed, waited(), bs)
		}
		if ctx.Err() != nil {
			return e.pauseInterrupted(i, waited()), nil
		}
		select {
		case <-ctx.Done():
			return e.pauseInterrupted(i, waited()), nil
		case <-end.C:
			return e.endPause(i, release.PausePassed, p.Duration, nil)
		case <-tick.C:
		}
		if res, ok := e.requestInPause(i); ok {
			return e.endPause(i, res, waited(), nil)
		}
		if time.Since(lastSave) >= pauseSave {
			lastSave = time.Now()
			w := min(waited(), p.Duration)
			if err := e.save(func(r *release.Record) { r.Pauses[i].Waited = w }); err != nil {
				e.warn("", p.After, "%v", err)
			}
		}
	}
}

// checkWatched checks each watched instance once. A check that ctx ended
// is no breach: the caller sees ctx.
func (e *engine) checkWatched(ctx context.Context, g health.Gate, watch []release.Watched, fails map[string]int) []breach {
	var out []breach
	for _, w := range watch {
		u, err := e.deps.Manager.Unit(ctx, e.spec.Unit(w.Name))
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			out = append(out, breach{w.Name, fmt.Sprintf("read its unit: %v", err)})
			continue
		case u.InvocationID != w.InvocationID:
			out = append(out, breach{w.Name, fmt.Sprintf("its process changed (InvocationID %s → %s, NRestarts %d → %d)", short8(w.InvocationID), short8(u.InvocationID), w.NRestarts, u.NRestarts)})
			continue
		case u.NRestarts != w.NRestarts:
			out = append(out, breach{w.Name, fmt.Sprintf("restarted (NRestarts %d → %d)", w.NRestarts, u.NRestarts)})
			continue
		case !u.Running():
			out = append(out, breach{w.Name, fmt.Sprintf("not running (%s/%s)", u.ActiveState, u.SubState)})
			continue
		}
		r := health.RunProbes(ctx, g.Timeout, e.deps.Probes(w.Name))
		if ctx.Err() != nil {
			return nil
		}
		if r.OK {
			fails[w.Name] = 0
			continue
		}
		fails[w.Name]++
		if fails[w.Name] >= g.UnhealthyThreshold {
			out = append(out, breach{w.Name, fmt.Sprintf("failed %d probe check(s) in a row: %s", fails[w.Name], r)})
		}
	}
	return out
}

// endPause records how a pause ended and says so.
func (e *engine) endPause(i int, res release.PauseResult, waited time.Duration, bs []breach) (release.PauseResult, []breach) {
	var why []string
	for _, b := range bs {
		why = append(why, b.name+" "+b.why)
	}
	msg := strings.Join(why, "; ")
	now := time.Now()
	after := -1
	if err := e.save(func(r *release.Record) {
		q := &r.Pauses[i]
		after = q.After
		q.Result, q.Ended, q.Waited, q.Message = res, now, min(waited, q.Duration), msg
	}); err != nil {
		e.warn("", after, "%v", err)
	}
	e.emit(Event{Type: EventPauseEnd, Batch: after, PauseResult: res, Message: msg})
	return res, bs
}

// pauseInterrupted records a pause cut short by ctx, with what it waited:
// a resume waits the rest, watched.
func (e *engine) pauseInterrupted(i int, waited time.Duration) release.PauseResult {
	res, _ := e.endPause(i, release.PauseInterrupted, waited, nil)
	return res
}

// stop ends a probe ahead and waits for it: a pause makes its result stale.
func (a *ahead) stop() {
	if a != nil {
		a.cancel()
		<-a.done
	}
}

// pausePending reports whether a pause is to be waited out before batch b.
func (e *engine) pausePending(b int) bool {
	return slices.ContainsFunc(e.snapshot().Pauses, func(p release.Pause) bool { return p.After < b && !p.Done() })
}

func clonePauses(ps []release.Pause) []release.Pause {
	if ps == nil {
		return nil
	}
	out := slices.Clone(ps)
	for i := range out {
		out[i].Watch = slices.Clone(ps[i].Watch)
	}
	return out
}

// short8 shortens an InvocationID for a message.
func short8(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
