package controller

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"

	"github.com/sysroll/sysroll/internal/fleet/journal"
	"github.com/sysroll/sysroll/internal/fleet/plan"
	"github.com/sysroll/sysroll/internal/sshx"
)

// ResultSkipped is the report's result of a host --skip-unreachable left
// out.
const ResultSkipped = "skipped: unreachable"

// RollbackHost is a Host that can say, changing nothing, which release
// its own rollback would go to (`rollback NAME [--to V] --dry-run
// --json`): the same checks the step will run, so a host that lacks V, or
// has nothing to roll back to, refuses the fleet rollback before any host
// is touched. SSHHost is one.
type RollbackHost interface {
	Host
	RollbackTarget(ctx context.Context, service, to string) (string, error)
}

// kindOptions checks o's kind and settles what the fleet's failure
// action means for it.
//
// Only a deploy has something to roll the fleet back from: a restart keeps
// each host on its release (there is nothing to roll back to), and rolling
// back a failed rollback would roll forward again, the very release the
// operator is getting away from. So for a restart and a rollback the
// fleet halts on a failure beyond the budget, whatever failure_action
// says: no further host is started, and each failed host's own step has
// already done its part (its own failure_action reverted the instance
// batch that failed, so its instances run what they ran before). The
// rollout stays claimed (halted) until `fleet deploy --resume` or a
// person settles it.
func kindOptions(o *Options) error {
	switch o.Kind {
	case "":
		o.Kind = journal.KindDeploy
	case journal.KindDeploy:
	case journal.KindRestart, journal.KindRollback:
		o.Strategy.FailureAction = plan.ActionHalt
		if o.Kind == journal.KindRestart {
			o.Version = ""
		}
	default:
		return fmt.Errorf("controller: kind %q: want %s, %s or %s", o.Kind, journal.KindDeploy, journal.KindRestart, journal.KindRollback)
	}
	if o.To != "" && o.Kind != journal.KindRollback {
		return fmt.Errorf("controller: To is a rollback's, not a %s's", o.Kind)
	}
	return nil
}

// Unreachable reports whether a connect error means the host could not be
// reached (a network error or a lost connection), which --skip-unreachable
// may skip, as opposed to one it must never skip: an unknown, changed or
// revoked host key, a refused login.
func Unreachable(err error) bool {
	var (
		unknown *sshx.UnknownHostKeyError
		changed *sshx.ChangedHostKeyError
		revoked *sshx.RevokedHostKeyError
		ne      net.Error
	)
	switch {
	case errors.As(err, &unknown), errors.As(err, &changed), errors.As(err, &revoked):
		return false
	case errors.Is(err, sshx.ErrConnLost), errors.As(err, &ne):
		return true
	}
	return false
}

// skipUnreachable takes the hosts of errs that --skip-unreachable leaves
// out off the rollout and returns the errors left, which refuse it. With
// every host skipped there is nothing to roll: that refuses too.
func (r *run) skipUnreachable(errs map[string]error) map[string]error {
	if !r.o.SkipUnreachable || len(errs) == 0 {
		return errs
	}
	left := map[string]error{}
	for n, err := range errs {
		if !Unreachable(err) {
			left[n] = err
			continue
		}
		r.skipped[n] = err.Error()
	}
	if len(left) > 0 || len(r.skipped) == len(r.order) {
		for n := range r.skipped { // refused after all: say so, skip nothing
			left[n] = errs[n]
		}
		clear(r.skipped)
		return left
	}
	r.order = slices.DeleteFunc(r.order, func(n string) bool { _, s := r.skipped[n]; return s })
	for _, n := range r.all {
		if why, ok := r.skipped[n]; ok {
			r.rep[n].Result, r.rep[n].Detail = ResultSkipped, why
			r.o.Progress.Note(n, "skipped (--skip-unreachable): "+why+"; it stays on what it runs, and its instances count as down")
		}
	}
	return nil
}

// skippedStates are the skipped hosts for a preflight: unreachable, left
// out, their instances down.
func (r *run) skippedStates() []plan.HostState {
	var out []plan.HostState
	for _, n := range r.all {
		if why, ok := r.skipped[n]; ok {
			out = append(out, plan.HostState{Name: n, Why: why, Skipped: true, Instances: r.skippedInstances[n]})
		}
	}
	return out
}

// skippedList is the journal's (and every claim's) record of them.
func (r *run) skippedList() []journal.Skipped {
	var out []journal.Skipped
	for _, n := range r.all {
		if why, ok := r.skipped[n]; ok {
			out = append(out, journal.Skipped{Name: n, Why: "unreachable: " + clip(why)})
		}
	}
	return out
}

// doneReason is the journal's reason of a rollout every host finished.
func (r *run) doneReason() string {
	s := "every host on " + r.o.Version
	if r.kind() == journal.KindRestart {
		s = "every host restarted"
	}
	if len(r.skipped) > 0 {
		s += fmt.Sprintf(" but %d skipped as unreachable", len(r.skipped))
	}
	return s
}

// rollbackTarget asks every host which release its rollback would go to
// (nothing changes) and settles the fleet's: one release, held by every
// host. A host that lacks To, or has nothing to roll back to, or would go
// elsewhere than the others, refuses the rollout before anything is
// touched; the fix is named.
func (r *run) rollbackTarget(ctx context.Context) error {
	targets := map[string]string{}
	var mu sync.Mutex
	errs := each(r.order, func(n string) error {
		rh, ok := r.hosts[n].(RollbackHost)
		if !ok {
			return fmt.Errorf("%s: cannot tell which release its rollback would go to", n)
		}
		t, err := rh.RollbackTarget(ctx, r.o.Service, r.o.To)
		if err != nil {
			if r.o.To != "" {
				return fmt.Errorf("%w (does %s hold release %s? `sysroll fleet history FILE` lists each host's)", err, n, r.o.To)
			}
			return err
		}
		mu.Lock()
		targets[n] = t
		mu.Unlock()
		return nil
	})
	if len(errs) > 0 {
		return r.refuse("preflight (rollback target)", errs, false)
	}
	byTarget := map[string][]string{}
	for _, n := range r.order {
		byTarget[targets[n]] = append(byTarget[targets[n]], n)
	}
	if len(byTarget) > 1 {
		var parts []string
		for _, t := range slices.Sorted(maps.Keys(byTarget)) {
			parts = append(parts, fmt.Sprintf("%s on %s", t, strings.Join(byTarget[t], ", ")))
		}
		err := fmt.Errorf("the hosts would roll back to different releases (%s): name the one the fleet goes to with --to V", strings.Join(parts, "; "))
		return r.refuse("preflight (rollback target)", map[string]error{"": err}, false)
	}
	for t := range byTarget {
		r.o.Version = t
	}
	r.o.Progress.Note("", "rollback target: "+r.o.Version+" on every host")
	return nil
}

// adoptSkipped leaves out of a resumed rollout the hosts its journal says
// --skip-unreachable left out: they are not in its plan, they still count
// as down, and whether they are back now changes nothing (a resume
// completes the rollout as it was planned).
func (r *run) adoptSkipped(j *journal.Journal) {
	for _, s := range j.Skipped {
		if r.rep[s.Name] == nil {
			continue // left out by the file or --limit too
		}
		r.skipped[s.Name] = s.Why
		r.rep[s.Name].Result, r.rep[s.Name].Detail = ResultSkipped, s.Why
		for _, h := range r.o.Hosts {
			if h.Name == s.Name {
				r.skippedInstances[s.Name] = h.Instances
			}
		}
	}
	r.order = slices.DeleteFunc(r.order, func(n string) bool { _, s := r.skipped[n]; return s })
}
