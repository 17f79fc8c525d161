package controller

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/sysroll/sysroll/internal/fleet/journal"
	"github.com/sysroll/sysroll/internal/fleet/plan"
	"github.com/sysroll/sysroll/internal/sshx"
)

// ErrNothingToResume: no host holds an unfinished claim of the service,
// and the controller has no unfinished journal of it.
var ErrNothingToResume = errors.New("no unfinished fleet rollout to resume")

// ResumeOptions are a resume's: Options (Service, Hosts, Strategy,
// Controller, Progress, clocks, DryRun) and where the rollout comes from.
// Options.FleetID and Version are the resumed rollout's, taken from it.
type ResumeOptions struct {
	Options
	// Journal is the controller's journal of the rollout, nil to rebuild
	// it from the hosts' claims (another machine, a lost --state-dir).
	Journal *journal.Journal
	// JournalPath names where the journal of rollout id is written ("" for
	// nowhere); nil for nowhere.
	JournalPath func(id string) (string, error)
	// TakeOver goes on even while another controller's lease on the
	// rollout is live (--take-over): that controller is known to be gone,
	// or the operator accepts racing it.
	TakeOver bool
}

// HostDecision is what resume decided for one host, for the report.
type HostDecision struct {
	Name string
	plan.Journaled
	Now      plan.HostNow
	Decision plan.HostResume
}

// Resume completes an interrupted fleet rollout of o.Service: it finds
// it (o.Journal, else rebuilt from the hosts' unfinished claims: two
// different unfinished rollouts are refused, naming both), asks every
// host where it stands now, lets plan.ResumeHost decide per host, acts on
// those decisions and then goes on with the remaining host batches
// exactly as Run does. A dry run decides and reports, changing nothing.
// The error is ErrNothingToResume (wrapped) when there is nothing to
// resume, a *RefusedError when a host cannot be reached or is of another
// protocol before anything was done.
func Resume(ctx context.Context, hosts []Host, o ResumeOptions) (*Report, []HostDecision, error) {
	r, err := newRun(hosts, o.Options)
	if err != nil {
		return nil, nil, err
	}
	for _, h := range hosts {
		if _, ok := h.(ClaimHost); !ok {
			return nil, nil, fmt.Errorf("controller: host %s cannot report its claims: it cannot be resumed", h.Name())
		}
	}
	now := r.connectAll(ctx)
	j := o.Journal
	if j == nil {
		if j, err = r.rebuild(ctx, now); err != nil {
			return nil, nil, err
		}
	}
	if j.Result.Final() {
		return nil, nil, fmt.Errorf("fleet rollout %s of %s already ended %s: %w", j.ID, j.Service, j.Result, ErrNothingToResume)
	}
	if j.Service != r.o.Service {
		return nil, nil, fmt.Errorf("fleet rollout %s is of service %s, not %s", j.ID, j.Service, r.o.Service)
	}
	r.o.FleetID, r.o.Version, r.j = j.ID, j.Target, j
	r.adoptSkipped(j)
	for _, h := range j.Hosts {
		if r.hosts[h.Name] == nil {
			return nil, nil, fmt.Errorf("fleet rollout %s has host %s, which the service file (or --limit) leaves out: resume it with the same file and no --limit", j.ID, h.Name)
		}
	}
	if o.JournalPath != nil && !r.o.DryRun {
		if r.o.JournalPath, err = o.JournalPath(j.ID); err != nil {
			return nil, nil, err
		}
	}
	r.o.Progress.Note("", fmt.Sprintf("resuming fleet rollout %s of %s → %s (started %s by %s)",
		j.ID, j.Service, j.Target, j.Started.UTC().Format("2006-01-02 15:04:05Z"), j.Controller))
	if err := r.takeOver(ctx, now, o.TakeOver); err != nil {
		return nil, nil, err
	}
	ds := r.decide(ctx, now)
	rep := &Report{FleetID: j.ID, Plan: journalPlan(j)}
	for _, d := range ds {
		r.o.Progress.Note(d.Name, fmt.Sprintf("resume: %s: %s", d.Decision.Action, d.Decision.Reason))
		r.rep[d.Name].Result = string(d.Decision.Action)
		r.rep[d.Name].Detail = d.Decision.Reason
		if r.o.DryRun {
			r.rep[d.Name].Result = "would " + string(d.Decision.Action)
		}
	}
	if r.o.DryRun {
		rep.Hosts = r.reports()
		return rep, ds, nil
	}
	res, reason, err := r.resume(ctx, rep.Plan, ds)
	rep.Result, rep.Reason, rep.Hosts = res, reason, r.reports()
	return rep, ds, err
}

// connectAll connects every host and reads its boot ID; what it finds is
// each host's HostNow but for its unit and record.
func (r *run) connectAll(ctx context.Context) map[string]*plan.HostNow {
	out := map[string]*plan.HostNow{}
	var mu sync.Mutex
	each(r.order, func(n string) error {
		hn := &plan.HostNow{}
		defer func() { mu.Lock(); out[n] = hn; mu.Unlock() }()
		if err := r.hosts[n].Connect(ctx); err != nil {
			var changed *sshx.ChangedHostKeyError
			hn.HostKeyChanged = errors.As(err, &changed)
			r.o.Progress.Note(n, "unreachable: "+err.Error())
			return nil
		}
		v, ok, err := r.hosts[n].Version(ctx)
		if err == nil && !ok {
			err = fmt.Errorf("%s: this sysroll build is not on the host: a host of the rollout always has it", n)
		}
		if err == nil {
			err = r.checkVersion(n, v)
		}
		if err != nil {
			r.o.Progress.Note(n, "unreachable: "+err.Error())
			return nil
		}
		hn.Reachable, hn.BootID = true, v.BootID
		return nil
	})
	return out
}

// rebuild finds the one unfinished fleet rollout the hosts' claims show
// and rebuilds its journal from them.
func (r *run) rebuild(ctx context.Context, now map[string]*plan.HostNow) (*journal.Journal, error) {
	var mu sync.Mutex
	var claims []*journal.Claim
	errs := each(r.order, func(n string) error {
		if !now[n].Reachable {
			return nil
		}
		cs, err := r.hosts[n].(ClaimHost).Claims(ctx, r.o.Service)
		if err != nil {
			return err
		}
		mu.Lock()
		claims = append(claims, cs...)
		mu.Unlock()
		return nil
	})
	if len(errs) > 0 {
		return nil, r.refuse("read the claims", errs, false)
	}
	ids := map[string]bool{}
	for _, c := range claims {
		if !c.Finished {
			ids[c.FleetID] = true
		}
	}
	names := slices.Sorted(maps.Keys(ids))
	var unreachable []string
	for _, n := range r.order {
		if !now[n].Reachable {
			unreachable = append(unreachable, n)
		}
	}
	switch {
	case len(names) == 0 && len(unreachable) > 0:
		// Their claims are unknown: "nothing to resume" would be a guess.
		return nil, fmt.Errorf("no reachable host holds an unfinished claim of %s, and %s could not be reached: run --resume again once they are", r.o.Service, strings.Join(unreachable, ", "))
	case len(names) == 0:
		return nil, fmt.Errorf("%w of %s: no host holds an unfinished claim", ErrNothingToResume, r.o.Service)
	case len(names) > 1:
		return nil, fmt.Errorf("the hosts hold unfinished claims of %d fleet rollouts of %s, %s: refusing to guess which to resume; inspect them (`sysroll history %s --fleet ID` on the hosts)",
			len(names), r.o.Service, strings.Join(names, " and "), r.o.Service)
	}
	j, err := journal.Rebuild(names[0], claims)
	if err != nil {
		return nil, err
	}
	r.o.Progress.Note("", "fleet journal "+names[0]+" rebuilt from the hosts' claims")
	return j, nil
}

// decide asks each host of the journal for its unit and record and lets
// plan.ResumeHost decide.
func (r *run) decide(ctx context.Context, now map[string]*plan.HostNow) []HostDecision {
	out := make([]HostDecision, len(r.j.Hosts))
	each(r.planned(), func(n string) error {
		i := slices.IndexFunc(r.j.Hosts, func(h journal.Host) bool { return h.Name == n })
		jh := r.j.Hosts[i]
		hn := *now[n]
		if hn.Reachable {
			unit := UnitName(r.o.Service, r.j.ID, "")
			if jh.Phase == plan.PhaseReverting {
				unit = UnitName(r.o.Service, r.j.ID, "rollback")
			}
			active, err := r.hosts[n].(ClaimHost).UnitActive(ctx, unit)
			if err == nil {
				hn.UnitActive = active
				rec, rerr := r.hosts[n].Record(ctx, r.o.Service, r.j.ID)
				err = rerr
				if rec != nil {
					hn.Record = &plan.HostRecord{FleetID: rec.FleetID, Result: string(rec.Result)}
				}
			}
			if err != nil {
				r.o.Progress.Note(n, "unreachable: "+err.Error())
				hn = plan.HostNow{}
			}
		}
		js := plan.Journaled{Phase: jh.Phase, Offset: jh.Offset, BootID: jh.BootID}
		out[i] = HostDecision{Name: n, Journaled: js, Now: hn, Decision: plan.ResumeHost(r.j.ID, js, hn, r.o.Strategy)}
		return nil
	})
	return out
}

// journalPlan is the journal's batches as a plan, for the loop.
func journalPlan(j *journal.Journal) *plan.Plan {
	p := &plan.Plan{}
	for _, b := range j.Batches {
		p.Batches = append(p.Batches, plan.Batch{Hosts: append([]string(nil), b...), Size: len(b)})
	}
	return p
}
