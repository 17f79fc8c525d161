package controller

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sysroll/sysroll/internal/fleet/journal"
	"github.com/sysroll/sysroll/internal/fleet/plan"
)

// ClaimHost is a Host that can also report what a resume needs to know
// and a deploy needs to refuse: the fleet claims it holds and whether a
// step's transient unit still runs. SSHHost is one; a Host that is not
// cannot be resumed, and its claims are not checked.
type ClaimHost interface {
	Host
	// Claims are every fleet claim of service on the host (finished or
	// not), decoded and validated.
	Claims(ctx context.Context, service string) ([]*journal.Claim, error)
	// UnitActive reports whether the transient unit (NAME.service) runs.
	UnitActive(ctx context.Context, unit string) (bool, error)
}

// deployStep is a host's step of the rollout, by its kind: deploy
// o.Version, restart every instance on its release, or roll back (to
// o.To when the operator named it, else to the host's previous
// known-good release, which the preflight checked is o.Version on every
// host). A resumed rollout's kind is its journal's.
func (r *run) deployStep() Step {
	o := r.o
	s := Step{Unit: UnitName(o.Service, o.FleetID, ""), Events: EventsPath(o.Service, o.FleetID)}
	switch r.kind() {
	case journal.KindRestart:
		s.Description = fmt.Sprintf("sysroll fleet %s: restart %s", o.FleetID, o.Service)
		s.Args = []string{"restart", o.Service, "--fleet", o.FleetID}
	case journal.KindRollback:
		s.Description = fmt.Sprintf("sysroll fleet %s: roll %s back to %s", o.FleetID, o.Service, o.Version)
		s.Args = []string{"rollback", o.Service}
		if o.To != "" {
			s.Args = append(s.Args, "--to", o.To)
		}
		s.Args = append(s.Args, "--fleet", o.FleetID)
	default:
		s.Description = fmt.Sprintf("sysroll fleet %s: %s → %s", o.FleetID, o.Service, o.Version)
		s.Args = []string{"deploy", o.Service, "--version", o.Version, "--fleet", o.FleetID}
	}
	return s
}

// kind is the rollout's: the journal's once there is one (a resume
// takes it from there), else the options'.
func (r *run) kind() journal.Kind {
	if r.j != nil && r.j.Kind != "" {
		return r.j.Kind
	}
	if r.o.Kind == "" {
		return journal.KindDeploy
	}
	return r.o.Kind
}

// resumeStep completes a host step that stopped without ending: the
// host's own `deploy --resume`, under the same unit and events file.
// That verb completes the host's unfinished record whatever its kind (a
// restart stays a restart, a rollback goes on to its target), so the
// arguments are the same for every kind; only the description differs.
func (r *run) resumeStep() Step {
	s := r.deployStep()
	what := r.o.Service + " → " + r.o.Version
	switch r.kind() {
	case journal.KindRestart:
		what = "restart of " + r.o.Service
	case journal.KindRollback:
		what = "rollback of " + r.o.Service + " to " + r.o.Version
	}
	s.Description = fmt.Sprintf("sysroll fleet %s: resume %s", r.o.FleetID, what)
	s.Args = []string{"deploy", r.o.Service, "--resume"}
	return s
}

// rollbackStep is the fleet's rollback of a host (failure_action rollback
// or rollback-all of a deploy; a restart or rollback never has one, see
// kindOptions).
func (r *run) rollbackStep() Step {
	o := r.o
	return Step{Unit: UnitName(o.Service, o.FleetID, "rollback"), Events: EventsPath(o.Service, o.FleetID),
		Description: fmt.Sprintf("sysroll fleet %s: roll %s back", o.FleetID, o.Service),
		Args:        []string{"rollback", o.Service, "--fleet", o.FleetID}}
}

// foreignClaims is host n's unfinished claims of other fleet rollouts than
// this one, read apart (see foreign): for a host without the build, which
// cannot be probed before it is copied there.
func (r *run) foreignClaims(ctx context.Context, n string) []plan.Claim {
	ch, ok := r.hosts[n].(ClaimHost)
	if !ok {
		return nil
	}
	return r.foreign(ch.Claims(ctx, r.o.Service))
}

// refuseClaimed refuses the rollout before anything is copied when a
// host holds an unfinished claim of another fleet rollout: the same
// refusal a host batch's preflight gives (plan.Preflight decides it), but
// before this rollout writes claims of its own next to it. probed are
// the hosts' probes, where they could be probed; the others' claims are
// read apart.
func (r *run) refuseClaimed(ctx context.Context, probed map[string]HostProbe) error {
	states := make([]plan.HostState, len(r.order))
	for i, n := range r.order {
		// Reachable, no instance: only the claims can refuse.
		states[i] = plan.HostState{Name: n, Reachable: true}
	}
	// foreignClaims reports its errors as claims: each never fails.
	each(r.order, func(n string) error {
		i := slices.Index(r.order, n)
		if p, ok := probed[n]; ok {
			states[i].Claims = r.foreign(p.Claims, p.ClaimsErr)
		} else {
			states[i].Claims = r.foreignClaims(ctx, n)
		}
		return nil
	})
	v := plan.Preflight(plan.Check{FleetID: r.o.FleetID, Hosts: states, Strategy: r.o.Strategy})
	if v.Go {
		return nil
	}
	out := map[string]error{}
	ids := map[string]bool{}
	for _, s := range states {
		for _, c := range s.Claims {
			ids[c.FleetID] = true
		}
	}
	for _, why := range v.Refusals {
		for _, n := range r.order {
			if strings.HasPrefix(why, "host "+n+" ") {
				out[n] = fmt.Errorf("%s; here: `sysroll fleet deploy FILE --resume`", why)
			}
		}
	}
	if len(out) == 0 { // not a claim refusal: the batch preflights judge the rest
		return nil
	}
	names := slices.Sorted(maps.Keys(ids))
	r.o.Progress.Note("", "unfinished fleet rollout "+strings.Join(names, ", ")+" holds hosts of this rollout")
	return r.refuse("preflight (claims)", out, false)
}
