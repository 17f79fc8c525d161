package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/fleet/journal"
	"github.com/sysroll/sysroll/internal/fleet/plan"
	"github.com/sysroll/sysroll/internal/release"
)

// roll runs the host batches of p: the journal and claims first, then per
// batch the preflight, the steps, the evaluation and its rollbacks.
func (r *run) roll(ctx context.Context, p *plan.Plan) (journal.Result, string, error) {
	o := r.o
	now := o.Now()
	j := &journal.Journal{
		Schema: journal.Schema, ID: o.FleetID, Service: o.Service, Kind: o.Kind,
		Target: o.Version, Controller: o.Controller, Started: now, Updated: now,
		Result: journal.ResultRunning, Strategy: journal.FromPlan(o.Strategy), Batches: p.HostNames(),
		Skipped:   r.skippedList(),
		Heartbeat: now,
	}
	for i, b := range p.Batches {
		for _, n := range b.Hosts {
			j.Hosts = append(j.Hosts, journal.Host{Name: n, Batch: i, Phase: plan.PhaseStaged, Updated: now})
		}
	}
	r.j = j
	if err := r.save(); err != nil {
		return "", "", err
	}
	// Every host of the plan is claimed before the first step starts.
	if errs := each(r.planned(), func(n string) error { return r.claim(ctx, n) }); len(errs) > 0 {
		return r.finish(ctx, journal.ResultHalted, (&RefusedError{Phase: "claim", Hosts: errs, Touched: true}).Error())
	}
	stop := r.startHeartbeat(ctx)
	defer stop()
	return r.loop(ctx, p, 0, nil, nil, 0)
}

// loop runs the host batches of p from batch from on. first, when not
// nil, is batch from's results, already had (a resume acted on its hosts
// itself): that batch skips its preflight and steps and goes straight to
// its evaluation. changed and tolerated carry over from earlier batches.
func (r *run) loop(ctx context.Context, p *plan.Plan, from int, first map[string]plan.HostResult, changed []string, tolerated int) (journal.Result, string, error) {
	o := r.o
	for i := from; i < len(p.Batches); i++ {
		b := p.Batches[i]
		results := first
		if stop, res, reason, err := r.stopDeposed(ctx); stop {
			return res, reason, err
		}
		if i != from || first == nil {
			if err := ctx.Err(); err != nil {
				return r.finish(ctx, journal.ResultInterrupted, "interrupted before host batch "+fmt.Sprint(i+1))
			}
			v := plan.Preflight(plan.Check{FleetID: o.FleetID, Batch: b.Hosts, Hosts: r.states(ctx), Strategy: o.Strategy})
			for _, n := range v.Notes {
				o.Progress.Note("", "preflight: "+n)
			}
			if !v.Go {
				return r.finish(ctx, journal.ResultHalted, fmt.Sprintf("host batch %d refused by the preflight: %s", i+1, strings.Join(v.Refusals, "; ")))
			}
			o.Progress.Note("", fmt.Sprintf("host batch %d of %d: %s", i+1, len(p.Batches), strings.Join(b.Hosts, ", ")))
			results = map[string]plan.HostResult{}
			each(b.Hosts, func(n string) error {
				res := r.step(ctx, n, r.deployStep(), plan.PhaseRolling)
				r.mu.Lock()
				results[n] = res
				r.mu.Unlock()
				return nil
			})
		}
		for _, n := range b.Hosts {
			switch results[n] {
			case plan.HostSucceeded, plan.HostFailed, plan.HostHalted:
				if r.started[n] {
					changed = append(changed, n) // at least one instance may be on the target
				}
			}
		}
		// reattach_deadline runs from when a host was lost: one its follow
		// already waited for is not waited for again.
		waitStart := o.Now()
		r.mu.Lock()
		for _, n := range b.Hosts {
			if t, ok := r.lostAt[n]; ok && results[n] == plan.HostUnknown && t.Before(waitStart) {
				waitStart = t
			}
		}
		r.mu.Unlock()
		var d plan.Decision
		for {
			d = plan.Evaluate(plan.Outcome{Batches: p.HostNames(), Batch: i, Results: results,
				Tolerated: tolerated, Waited: o.Now().Sub(waitStart), Changed: changed}, o.Strategy)
			if d.Action != plan.ActWait {
				break
			}
			o.Progress.Note("", d.Reason)
			// The steps already reattached until the deadline; look once more.
			if !r.sleep(ctx, o.RetryEvery) {
				return r.finish(ctx, journal.ResultInterrupted, "interrupted while waiting for "+strings.Join(d.Wait, ", "))
			}
			for _, n := range d.Wait {
				results[n] = r.result(ctx, n, r.j.Host(n))
			}
		}
		o.Progress.Note("", fmt.Sprintf("host batch %d: %s%s", i+1, d.Action, reasonSuffix(d.Reason)))
		for _, n := range b.Hosts {
			if results[n] != plan.HostSucceeded && results[n] != plan.HostUnknown {
				tolerated++
			}
		}
		if stop, res, reason, err := r.stopDeposed(ctx); stop {
			return res, reason, err // its rollbacks and next batch are the new owner's
		}
		rolledBackOK := true
		for _, n := range d.Rollback {
			rs := r.step(ctx, n, r.rollbackStep(), plan.PhaseReverting)
			if rs == plan.HostSucceeded {
				changed = slices.DeleteFunc(changed, func(c string) bool { return c == n })
				r.setPhase(n, plan.PhaseReverted, "", "")
				r.setResult(n, "rolled back by the fleet")
			} else {
				rolledBackOK = false
				r.setResult(n, "rollback "+string(rs))
			}
			_ = r.claim(ctx, n)
		}
		switch d.Action {
		case plan.ActContinue:
			continue
		case plan.ActRollback:
			if !rolledBackOK {
				return r.finish(ctx, journal.ResultFailed, d.Reason+"; a rollback did not succeed")
			}
			return r.finish(ctx, journal.ResultRolledBack, d.Reason)
		case plan.ActStop:
			return r.finish(ctx, journal.ResultInterrupted, d.Reason)
		default:
			return r.finish(ctx, journal.ResultHalted, d.Reason)
		}
	}
	return r.finish(ctx, journal.ResultSucceeded, r.doneReason())
}

func reasonSuffix(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// finish writes the journal's end and the claims (finished when the
// result is final); a rollout that was refused by a preflight or halted
// keeps its claims unfinished, which is what blocks other rollouts.
func (r *run) finish(ctx context.Context, res journal.Result, reason string) (journal.Result, string, error) {
	r.o.Progress.Note("", fmt.Sprintf("fleet rollout %s: %s: %s", r.o.FleetID, res, reason))
	r.mu.Lock()
	r.j.Result = res
	r.j.Released = true // this controller drives it no more: the lease is free
	r.mu.Unlock()
	err := r.save()
	// The claims are written with a fresh context: an interrupt still
	// leaves the hosts telling the truth.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	each(r.planned(), func(n string) error {
		if err := r.claim(cctx, n); err != nil {
			r.o.Progress.Note(n, "claim not updated: "+err.Error())
		}
		return nil
	})
	return res, reason, err
}

// step runs one host step to its end: start, follow (reattaching), record.
func (r *run) step(ctx context.Context, n string, s Step, phase plan.Phase) plan.HostResult {
	h := r.hosts[n]
	r.setPhase(n, phase, s.Unit, r.boot[n])
	if err := r.claim(ctx, n); err != nil {
		r.o.Progress.Note(n, "not started: "+err.Error())
		r.setResult(n, "not started: "+err.Error())
		r.setPhase(n, plan.PhaseFailed, "", "")
		return plan.HostFailed
	}
	r.mu.Lock()
	from := r.j.Host(n).Offset
	delete(r.lostAt, n)
	r.mu.Unlock()
	if err := h.Start(ctx, s); err != nil {
		r.o.Progress.Note(n, "not started: "+err.Error())
		r.setResult(n, "not started: "+err.Error())
		r.setPhase(n, plan.PhaseFailed, "", "")
		return plan.HostFailed
	}
	if phase == plan.PhaseRolling {
		r.mu.Lock()
		r.started[n] = true
		r.mu.Unlock()
	}
	r.o.Progress.Note(n, "started "+s.Unit+": sysroll "+strings.Join(s.Args, " "))
	return r.attach(ctx, n, s, from)
}

// attach follows a started step from offset from to its end (asking it
// to stop on an interrupt) and reads its record.
func (r *run) attach(ctx context.Context, n string, s Step, from int64) plan.HostResult {
	h := r.hosts[n]
	off, err := r.follow(ctx, h, s, from)
	if ctx.Err() != nil {
		// Interrupted (Ctrl-C): ask the step to stop at its safe point and
		// see it there, on a context of its own (fleet.md, "Controller
		// Ctrl-C"). The step never depends on this: it would finish anyway.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.o.StopWait)
		if serr := h.Stop(sctx, s); serr != nil {
			r.o.Progress.Note(n, "could not ask the step to stop: "+serr.Error()+"; it goes on there on its own")
		} else {
			r.o.Progress.Note(n, "interrupted: asked "+s.Unit+" to stop at its next safe point")
		}
		off, err = r.follow(sctx, h, s, off)
		ctx = sctx
		defer cancel()
	}
	r.mu.Lock()
	r.j.Host(n).Offset = off
	r.mu.Unlock()
	if err != nil {
		r.o.Progress.Note(n, "lost: "+err.Error()+"; the host step goes on there on its own")
		r.setPhase(n, plan.PhaseUnknown, "", "")
		r.mu.Lock()
		r.rep[n].Result = string(plan.HostUnknown)
		r.rep[n].Detail = err.Error()
		r.mu.Unlock()
		_ = r.save()
		return plan.HostUnknown
	}
	return r.result(ctx, n, r.j.Host(n))
}

// follow follows a step's events until its unit ends, reattaching at the
// last offset when the connection is lost, for up to reattach_deadline.
func (r *run) follow(ctx context.Context, h Host, s Step, from int64) (int64, error) {
	var lostSince time.Time
	for {
		off, err := h.Follow(ctx, s, from, func(line []byte) { r.o.Progress.Event(h.Name(), line) })
		if off > from {
			lostSince = time.Time{}
		}
		from = off
		if err == nil || ctx.Err() != nil {
			return from, errors.Join(err, ctx.Err())
		}
		var ee *ExitError
		if errors.As(err, &ee) {
			return from, err // follow itself refused: reattaching gives the same
		}
		if lostSince.IsZero() {
			lostSince = r.o.Now()
		}
		if r.o.Now().Sub(lostSince) >= r.o.Strategy.ReattachDeadline {
			r.mu.Lock()
			if r.lostAt == nil {
				r.lostAt = map[string]time.Time{}
			}
			r.lostAt[h.Name()] = lostSince
			r.mu.Unlock()
			return from, fmt.Errorf("%w; unreachable for %v (reattach_deadline)", err, r.o.Strategy.ReattachDeadline)
		}
		r.o.Progress.Note(h.Name(), fmt.Sprintf("reattaching at byte %d: %v", from, err))
		if !r.sleep(ctx, r.o.RetryEvery) {
			return from, ctx.Err()
		}
	}
}

// result reads the host's record of the rollout and files it.
func (r *run) result(ctx context.Context, n string, jh *journal.Host) plan.HostResult {
	rec, err := r.hosts[n].Record(ctx, r.o.Service, r.o.FleetID)
	if err == nil && rec == nil {
		err = errNoResult
	}
	if err != nil {
		r.setPhase(n, plan.PhaseUnknown, "", "")
		r.mu.Lock()
		r.rep[n].Result = string(plan.HostUnknown)
		r.rep[n].Detail = err.Error()
		r.mu.Unlock()
		return plan.HostUnknown
	}
	res := hostResult(rec.Result)
	r.mu.Lock()
	if jh.Phase != plan.PhaseReverting { // the host's result stays its deploy's
		jh.RolloutID = rec.ID
		jh.Result = res
		jh.Error = rec.Reason
	}
	r.mu.Unlock()
	phase := plan.PhaseFailed
	switch {
	case jh.Phase == plan.PhaseReverting:
		phase = plan.PhaseReverting // the caller decides reverted
	case res == plan.HostSucceeded:
		phase = plan.PhaseDone
	case res == plan.HostUnknown:
		phase = plan.PhaseUnknown
	}
	r.setPhase(n, phase, "", "")
	if jh.Phase != plan.PhaseReverting {
		r.mu.Lock()
		r.rep[n].Result = string(res)
		if rec.Reason != "" {
			r.rep[n].Detail = rec.Reason
		}
		r.mu.Unlock()
	}
	_ = r.save()
	return res
}

// hostResult maps a host record's result; running means the unit ended
// without finishing its record (killed): unknown, for resume to decide.
func hostResult(res release.Result) plan.HostResult {
	switch res {
	case release.ResultSucceeded:
		return plan.HostSucceeded
	case release.ResultRolledBack:
		return plan.HostRolledBack
	case release.ResultFailed:
		return plan.HostFailed
	case release.ResultHalted:
		return plan.HostHalted
	case release.ResultInterrupted, release.ResultPaused:
		// Paused (an inconclusive analysis set to pause): stopped with
		// nothing failed, taken up on the host.
		return plan.HostInterrupted
	}
	return plan.HostUnknown
}

// states is every host's state now, for the preflight.
func (r *run) states(ctx context.Context) []plan.HostState {
	out := make([]plan.HostState, len(r.order))
	each(r.order, func(n string) error {
		i := slices.Index(r.order, n)
		hs := plan.HostState{Name: n}
		p, err := r.probe(ctx, n)
		if err != nil {
			hs.Why = err.Error()
		} else {
			hs.Reachable = true
			hs.Instances = len(p.Status.Instances)
			hs.Claims = r.foreign(p.Claims, p.ClaimsErr)
			for _, in := range p.Status.Instances {
				if in.Health == "healthy" {
					hs.Serving++
				}
			}
		}
		out[i] = hs
		return nil
	})
	return append(out, r.skippedStates()...)
}

func (r *run) setPhase(n string, p plan.Phase, unit, boot string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	jh := r.j.Host(n)
	jh.Phase = p
	jh.Updated = r.o.Now()
	if unit != "" {
		jh.Unit = unit
	}
	if boot != "" {
		jh.BootID = boot
	}
}

func (r *run) setResult(n, detail string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rep[n].Detail = detail
}

// save writes the journal (when a path was given).
func (r *run) save() error {
	r.mu.Lock()
	r.j.Updated = r.o.Now()
	data, err := journal.Encode(r.j)
	r.mu.Unlock()
	if err != nil {
		return fmt.Errorf("fleet journal: %w", err)
	}
	if r.o.JournalPath == "" {
		return nil
	}
	return writeJournal(r.o.JournalPath, data)
}

// claim writes host n's claim from the journal; once another controller
// took the rollout over, nothing (the claims are its own now).
func (r *run) claim(ctx context.Context, n string) error {
	if r.deposedBy() != "" {
		return nil
	}
	l := r.claimLock(n)
	l.Lock()
	defer l.Unlock()
	r.mu.Lock()
	c, ok := journal.ClaimFor(r.j, n)
	var data []byte
	var err error
	if ok {
		data, err = journal.EncodeClaim(c)
	}
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("%s: not in the journal", n)
	}
	if err != nil {
		return fmt.Errorf("%s: claim: %w", n, err)
	}
	return r.hosts[n].WriteClaim(ctx, r.o.Service, r.o.FleetID, data)
}

func (r *run) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// planned is the names of the journal's hosts, in plan order.
func (r *run) planned() []string {
	out := make([]string, len(r.j.Hosts))
	for i, h := range r.j.Hosts {
		out[i] = h.Name
	}
	return out
}
