package controller

import (
	"context"
	"fmt"
	"strings"

	"github.com/sysroll/sysroll/internal/fleet/journal"
	"github.com/sysroll/sysroll/internal/fleet/plan"
)

// resume acts on the decisions: it waits for unreachable hosts (up to
// reattach_deadline, starting nothing meanwhile), stops on a refusal or a
// halt, does each host's part, and hands the batch it was in to the batch
// loop, which evaluates it and rolls the rest.
func (r *run) resume(ctx context.Context, p *plan.Plan, ds []HostDecision) (journal.Result, string, error) {
	if err := r.save(); err != nil {
		return "", "", err
	}
	// The take-over is on the hosts before anything is done there, and
	// the lease is kept from now on.
	each(r.planned(), func(n string) error {
		if err := r.claim(ctx, n); err != nil {
			r.o.Progress.Note(n, "claim not updated: "+err.Error())
		}
		return nil
	})
	endBeat := r.startHeartbeat(ctx)
	defer endBeat()
	ds, err := r.waitReachable(ctx, ds)
	if err != nil {
		return r.finish(ctx, journal.ResultInterrupted, err.Error())
	}
	var stop []string
	for _, d := range ds {
		if a := d.Decision.Action; a == plan.ResumeRefuse || a == plan.ResumeHalt {
			stop = append(stop, d.Name+": "+d.Decision.Reason)
		}
	}
	if len(stop) > 0 {
		return r.finish(ctx, journal.ResultHalted, "resume stopped: "+strings.Join(stop, "; "))
	}
	// cur is the furthest host batch the rollout reached: the one to
	// finish and evaluate; earlier ones were evaluated before.
	cur := -1
	for _, d := range ds {
		if d.Decision.Action != plan.ResumeContinue {
			cur = max(cur, r.j.Host(d.Name).Batch)
		}
	}
	if cur < 0 {
		return r.loop(ctx, p, 0, nil, nil, 0)
	}
	results := map[string]plan.HostResult{}
	byName := map[string]HostDecision{}
	var names []string
	for _, d := range ds {
		if d.Decision.Action != plan.ResumeContinue || r.j.Host(d.Name).Batch == cur {
			byName[d.Name] = d
			names = append(names, d.Name)
		}
	}
	each(names, func(n string) error {
		res := r.act(ctx, n, byName[n])
		r.mu.Lock()
		results[n] = res
		r.mu.Unlock()
		return nil
	})
	var changed []string
	tolerated := 0
	cr := map[string]plan.HostResult{}
	for _, n := range names {
		b := r.j.Host(n).Batch
		if b == cur {
			cr[n] = results[n]
			continue
		}
		switch results[n] {
		case plan.HostSucceeded, plan.HostFailed, plan.HostHalted:
			changed = append(changed, n)
		}
		if results[n] != plan.HostSucceeded && results[n] != plan.HostUnknown {
			tolerated++
		}
	}
	return r.loop(ctx, p, cur, cr, changed, tolerated)
}

// waitReachable decides again, every RetryEvery, while some host is
// unreachable and within reattach_deadline; a host past it is decided
// halt by plan.ResumeHost.
func (r *run) waitReachable(ctx context.Context, ds []HostDecision) ([]HostDecision, error) {
	start := r.o.Now()
	for {
		var waiting []string
		for _, d := range ds {
			if d.Decision.Action == plan.ResumeWait {
				waiting = append(waiting, d.Name)
			}
		}
		if len(waiting) == 0 {
			return ds, nil
		}
		r.o.Progress.Note("", "resume: waiting for "+strings.Join(waiting, ", ")+" to be reachable (reattach_deadline "+r.o.Strategy.ReattachDeadline.String()+")")
		if !r.sleep(ctx, r.o.RetryEvery) {
			return nil, fmt.Errorf("interrupted while waiting for %s", strings.Join(waiting, ", "))
		}
		now := r.connectAll(ctx)
		for _, hn := range now {
			if !hn.Reachable {
				hn.UnreachableFor = r.o.Now().Sub(start)
			}
		}
		ds = r.decide(ctx, now)
	}
}

// act does host n's part of the resume and returns how its step ended.
func (r *run) act(ctx context.Context, n string, d HostDecision) plan.HostResult {
	jh := r.j.Host(n)
	started := func() {
		r.mu.Lock()
		r.started[n] = true
		r.mu.Unlock()
	}
	switch d.Decision.Action {
	case plan.ResumeDone:
		switch jh.Phase {
		case plan.PhaseReverted:
			r.setResult(n, "rolled back by the fleet")
			r.mu.Lock()
			r.rep[n].Result = string(plan.HostRolledBack)
			r.mu.Unlock()
			return plan.HostRolledBack
		case plan.PhaseDone:
			started()
			r.mu.Lock()
			r.rep[n].Result = string(plan.HostSucceeded)
			r.mu.Unlock()
			return plan.HostSucceeded
		}
		started()
		return r.result(ctx, n, jh) // its record says succeeded: file it
	case plan.ResumeReattach:
		started()
		s, phase := r.deployStep(), plan.PhaseRolling
		if jh.Phase == plan.PhaseReverting {
			s, phase = r.rollbackStep(), plan.PhaseReverting
		}
		r.setPhase(n, phase, s.Unit, "")
		r.o.Progress.Note(n, fmt.Sprintf("reattached to %s at event offset %d", s.Unit, d.Decision.Offset))
		return r.attach(ctx, n, s, d.Decision.Offset)
	case plan.ResumeFailure:
		started()
		r.setPhase(n, plan.PhaseFailed, "", "")
		r.mu.Lock()
		jh.Result = d.Decision.Result
		r.rep[n].Result = string(d.Decision.Result)
		r.mu.Unlock()
		return d.Decision.Result
	case plan.ResumeStep:
		return r.step(ctx, n, r.resumeStep(), plan.PhaseRolling)
	case plan.ResumeRevert:
		rs := r.step(ctx, n, r.rollbackStep(), plan.PhaseReverting)
		if rs != plan.HostSucceeded {
			r.setResult(n, "rollback "+string(rs))
			return plan.HostFailed
		}
		r.setPhase(n, plan.PhaseReverted, "", "")
		r.setResult(n, "rolled back by the fleet")
		return plan.HostRolledBack
	default: // start afresh, or not started in the batch being finished
		return r.step(ctx, n, r.deployStep(), plan.PhaseRolling)
	}
}
