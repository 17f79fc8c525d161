package controller

import (
	"context"
	"fmt"

	"github.com/sysroll/sysroll/internal/fleet/journal"
	"github.com/sysroll/sysroll/internal/fleet/plan"
	"github.com/sysroll/sysroll/internal/schema"
)

// ProbeQuery is what Host.Probe asks.
type ProbeQuery struct {
	Service string
	// Version and SHA256, when set, ask whether the host holds that
	// release, intact (a deploy's prepare: it copies only where missing).
	Version, SHA256 string
	// Handshake asks for the whole of version --json, the build's own
	// sha256 included: reading the 20 MB build costs its host about 13 ms
	// of CPU, which prepare spends once per host and the preflight before
	// every batch does not (it needs the status and the claims only).
	Handshake bool
}

// HostProbe is what Host.Probe reads of a host in one command: everything
// prepare needs of a host that has the controller's build, and what each
// batch's preflight needs of every host. A part the host could not read
// comes with its error instead, so one part failing (the service not
// applied there) does not hide the others.
type HostProbe struct {
	// Version is the build's answer, as Host.Version's (its SHA256 only
	// for a Handshake).
	Version schema.Version
	// Status is the service's status; StatusErr, when set, is why the host
	// could not tell (the service not applied there, mostly).
	Status    schema.Status
	StatusErr error
	// Has is whether the host holds the release asked for, intact; HasErr
	// why it could not tell. Both zero when no release was asked for.
	Has    bool
	HasErr error
	// Claims are the host's unfinished fleet claims of the service (every
	// fleet rollout's, this one's included); ClaimsErr, when set, is a
	// claim that could not be read, which must block.
	Claims    []*journal.Claim
	ClaimsErr error
}

// foreign is the unfinished claims of other fleet rollouts than this one
// among cs. A claim that cannot be read (err) is reported as a claim of
// its own: an unreadable claim must block, never be taken as none.
func (r *run) foreign(cs []*journal.Claim, err error) []plan.Claim {
	if err != nil {
		return []plan.Claim{{FleetID: "(unreadable: " + err.Error() + ")"}}
	}
	var out []plan.Claim
	now := r.o.Now()
	for _, c := range cs {
		if !c.Finished && c.FleetID != r.o.FleetID {
			silent, live := c.Silence(now)
			out = append(out, plan.Claim{FleetID: c.FleetID, Owner: c.Owner(), Live: live, Silent: silent})
		}
	}
	return out
}

// probeFor is what prepare asks the host: with the release for a deploy,
// which copies only where it is missing; a restart or rollback copies
// nothing and asks for none.
func (r *run) probeFor(ctx context.Context, n string) (HostProbe, bool, error) {
	q := ProbeQuery{Service: r.o.Service, Handshake: true}
	if r.o.Kind == journal.KindDeploy {
		q.Version, q.SHA256 = r.o.Version, r.o.SHA256
	}
	return r.hosts[n].Probe(ctx, q)
}

// pushAndProbe copies the controller's build to a host that lacks it,
// then probes it with the build just copied: that it runs and speaks this
// protocol, and what it holds. It returns the bytes sent.
func (r *run) pushAndProbe(ctx context.Context, n string) (HostProbe, int64, error) {
	h := r.hosts[n]
	sent, err := h.PushBinary(ctx)
	if err != nil {
		return HostProbe{}, sent, err
	}
	p, ok, err := r.probeFor(ctx, n)
	if err == nil && !ok {
		err = fmt.Errorf("%s: the sysroll build just copied does not run", n)
	}
	if err != nil {
		return p, sent, err
	}
	return p, sent, r.checkVersion(n, p.Version)
}

// notApplied is the probe's status error of host n as prepare reports it:
// a fleet rollout never installs units, so the fix is the service's apply.
func (r *run) notApplied(n string, err error) error {
	return fmt.Errorf("%w (is %s applied on %s? run `sysroll apply FILE` there first: a fleet deploy never installs units)", err, r.o.Service, n)
}

// probe is host n's status and claims for a batch's preflight, in one
// session; an error when either the host or its status cannot be read
// (the host counts as unreachable, its instances as down).
func (r *run) probe(ctx context.Context, n string) (HostProbe, error) {
	p, ok, err := r.hosts[n].Probe(ctx, ProbeQuery{Service: r.o.Service})
	switch {
	case err != nil:
		return p, err
	case !ok:
		return p, fmt.Errorf("%s: the sysroll build copied there before the rollout is gone", n)
	case p.StatusErr != nil:
		return p, p.StatusErr
	}
	return p, nil
}
