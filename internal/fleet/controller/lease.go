package controller

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/sysroll/sysroll/internal/fleet/journal"
	"github.com/sysroll/sysroll/internal/fleet/plan"
)

// The fleet lock (fleet.md, "One fleet rollout per service at a time"):
// the claims of an unfinished rollout hold its hosts, and their heartbeat
// says whether a controller still drives it. A running controller
// refreshes the heartbeat every plan.HeartbeatEvery(lease); one that ends
// releases it; a killed one goes silent and its lease expires. --resume
// goes on only with the lease free (expired or released), or over a live
// one with --take-over; either way it records the take-over.

// LeaseError is a resume refused because a controller still drives the
// rollout: its claims were heard of within their lease.
type LeaseError struct {
	FleetID, Owner string
	// Host is where the freshest claim was read.
	Host          string
	Silent, Lease time.Duration
}

func (e *LeaseError) Error() string {
	left := (e.Lease - e.Silent).Round(time.Second)
	return fmt.Sprintf("fleet rollout %s is driven by %s: its controller was heard of %v ago (claim on %s; lease %v), so it is running and a resume now would race it. "+
		"Wait for it to end; if it is gone (killed, its machine off or cut off), run --resume again once the lease expires (in %v), "+
		"or take it over now: `sysroll fleet deploy FILE --resume --take-over`",
		e.FleetID, e.Owner, e.Silent.Round(time.Second), e.Host, e.Lease, left)
}

// lockState is a run's side of the fleet lock, under run.mu.
type lockState struct {
	// claims serialise each host's claim writes: a heartbeat's snapshot
	// must never land after a newer phase's.
	claims map[string]*sync.Mutex
	// deposedBy is who took the rollout over from this controller
	// (--take-over while it ran), "" while it holds it.
	deposedBy string
}

func (r *run) claimLock(n string) *sync.Mutex {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lock.claims == nil {
		r.lock.claims = map[string]*sync.Mutex{}
	}
	l := r.lock.claims[n]
	if l == nil {
		l = &sync.Mutex{}
		r.lock.claims[n] = l
	}
	return l
}

// deposedBy is who took the rollout over from this controller, "" while
// it holds it.
func (r *run) deposedBy() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lock.deposedBy
}

// takenOver reads host n's claim of the rollout: one listing more
// take-overs than this controller's journal was written by a controller
// that took the rollout over from it. A claim that cannot be read says
// nothing here: the step's follow reports the host.
func (r *run) takenOver(ctx context.Context, n string) string {
	ch, ok := r.hosts[n].(ClaimHost)
	if !ok {
		return ""
	}
	cs, err := ch.Claims(ctx, r.o.Service)
	if err != nil {
		return ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range cs {
		if c.FleetID == r.j.ID && len(c.TakeOvers) > len(r.j.TakeOvers) {
			r.lock.deposedBy = c.Owner()
			return c.Owner()
		}
	}
	return ""
}

// stopDeposed ends a rollout another controller took over: this one
// starts nothing more and writes no claim (claim), leaving the hosts to
// the new owner; the steps in flight go on there, followed by it.
func (r *run) stopDeposed(ctx context.Context) (stop bool, res journal.Result, reason string, err error) {
	by := r.deposedBy()
	if by == "" {
		return false, "", "", nil
	}
	res, reason, err = r.finish(ctx, journal.ResultInterrupted, "taken over by "+by+" (--take-over): this controller starts nothing more and leaves the hosts and their claims to it")
	return true, res, reason, err
}

// startHeartbeat keeps the lease until the returned stop is called: every
// plan.HeartbeatEvery(lease) it stamps the journal and rewrites every
// planned host's claim. It runs on a context of its own: an interrupted
// controller still drives its steps to their safe point, and holds the
// lock meanwhile.
func (r *run) startHeartbeat(ctx context.Context) (stop func()) {
	every := plan.HeartbeatEvery(r.o.Strategy.Lease)
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				r.beat(ctx, every)
			}
		}
	}()
	return func() { cancel(); <-done }
}

// beat is one heartbeat: the journal and every claim, each write bounded
// by timeout (a host cut off must not hold the others' beats). A claim
// not written is no error: the step's follow reports the host, and its
// lease simply ages there. A claim showing that another controller took
// the rollout over (--take-over) deposes this one (stopDeposed).
func (r *run) beat(ctx context.Context, timeout time.Duration) {
	r.mu.Lock()
	r.j.Heartbeat = r.o.Now()
	r.mu.Unlock()
	_ = r.save()
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	each(r.planned(), func(n string) error {
		if by := r.takenOver(cctx, n); by != "" {
			r.o.Progress.Note(n, "fleet rollout "+r.j.ID+" was taken over by "+by+": this controller stops driving it")
			return nil
		}
		_ = r.claim(cctx, n)
		return nil
	})
}

// holder is the lease of rollout id as the reachable hosts' claims and
// the journal show it: who was heard of last, where, how long ago, and
// whether within the lease.
type holder struct {
	owner, host   string
	silent, lease time.Duration
	live          bool
}

// leaseHolder reads the claims of the journal's rollout off the reachable
// hosts. A claim that cannot be read refuses: an unreadable lock is not a
// free one.
func (r *run) leaseHolder(ctx context.Context, now map[string]*plan.HostNow) (holder, error) {
	var mu sync.Mutex
	var fresh *journal.Claim
	errs := each(r.order, func(n string) error {
		if !now[n].Reachable {
			return nil
		}
		cs, err := r.hosts[n].(ClaimHost).Claims(ctx, r.o.Service)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		for _, c := range cs {
			if c.FleetID == r.j.ID && (fresh == nil || c.Heard().After(fresh.Heard())) {
				fresh = c
			}
		}
		return nil
	})
	if len(errs) > 0 {
		return holder{}, r.refuse("read the claims (the fleet lock)", errs, false)
	}
	t := r.o.Now()
	if fresh == nil && len(r.j.Hosts) == 0 {
		return holder{owner: r.j.Owner()}, nil
	}
	if fresh == nil { // no host reachable holds one: the journal is all there is
		c, _ := journal.ClaimFor(r.j, r.j.Hosts[0].Name)
		c.Part.Updated = r.j.Updated
		fresh = c
	}
	h := holder{owner: fresh.Owner(), host: fresh.Host, lease: fresh.Lease()}
	h.silent, h.live = fresh.Silence(t)
	return h, nil
}

// takeOver takes the rollout's lease for this controller: refused while
// live unless force; recorded in the journal (and so every claim it
// writes from now on) otherwise. A dry run only says what it would do.
func (r *run) takeOver(ctx context.Context, now map[string]*plan.HostNow, force bool) error {
	h, err := r.leaseHolder(ctx, now)
	if err != nil {
		return err
	}
	if h.live && !force {
		e := &LeaseError{FleetID: r.j.ID, Owner: h.owner, Host: h.host, Silent: h.silent, Lease: h.lease}
		if r.o.DryRun {
			r.o.Progress.Note("", "dry run: a resume now would be refused: "+e.Error())
			return nil
		}
		return e
	}
	how := fmt.Sprintf("its lease (%v) expired: silent %v", h.lease, h.silent.Round(time.Second))
	switch {
	case h.live:
		how = fmt.Sprintf("--take-over, over a live lease (heard of %v ago)", h.silent.Round(time.Second))
	case h.silent < h.lease:
		how = "its controller ended and released it"
	}
	if r.o.DryRun {
		r.o.Progress.Note("", fmt.Sprintf("dry run: would take fleet rollout %s over from %s (%s)", r.j.ID, h.owner, how))
		return nil
	}
	t := r.o.Now()
	r.mu.Lock()
	r.j.TakeOvers = append(r.j.TakeOvers, journal.TakeOver{By: r.o.Controller, From: h.owner, At: t,
		Silent: h.silent.Round(time.Second).String(), Forced: h.live})
	r.j.Heartbeat, r.j.Released = t, false
	r.mu.Unlock()
	r.o.Progress.Note("", fmt.Sprintf("fleet rollout %s taken over by %s from %s (%s)", r.j.ID, r.o.Controller, h.owner, how))
	return nil
}
