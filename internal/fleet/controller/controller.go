package controller

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sysroll/sysroll/internal/fleet/journal"
	"github.com/sysroll/sysroll/internal/fleet/plan"
	"github.com/sysroll/sysroll/internal/schema"
)

// Options are one fleet rollout's.
type Options struct {
	// Service is the service's name, the same on every host.
	Service string
	// Kind is what each host's step does (KindDeploy when ""): deploy
	// Version, restart every instance on its release, or roll back (to To
	// when set, else to each host's previous known-good release). Only a
	// deploy copies and stages anything; restart and rollback run on what
	// the hosts hold. See kindOptions for what the failure action means.
	Kind journal.Kind
	// To is rollback --to: the release every host must already hold.
	To string
	// Version is the release's name on the hosts; SHA256 the artifact's
	// (deploy only). For a rollback Run sets Version to the target every
	// host's dry run named.
	Version, SHA256 string
	// SkipUnreachable leaves a host that cannot be reached at connect out
	// of the rollout (said in the notes, the report and the journal)
	// instead of refusing; its instances count as down for the capacity
	// floor. A host key that is unknown or changed is never skipped.
	SkipUnreachable bool
	// BinarySize and ArtifactSize are what a host that lacks them would be
	// sent, for --dry-run.
	BinarySize, ArtifactSize int64
	// Hosts are the hosts of the rollout, in inventory order, after --limit.
	// Instances is what the service files say, replaced by each host's
	// status once it is read (a dry run cannot on a host without the build).
	Hosts []plan.Host
	// Strategy is fleet.hosts.
	Strategy plan.Strategy
	// FleetID names the rollout: in unit, claim and events file names.
	FleetID string
	// Controller is who runs it, user@machine, for the claims.
	Controller string
	// DryRun connects and reads, prints the plan, and changes nothing.
	DryRun bool
	// JournalPath is where the fleet journal is written ("" for nowhere).
	JournalPath string
	// Progress receives what happens; nil drops it.
	Progress Progress
	// StopWait bounds how long an interrupted controller waits for the
	// steps it stopped to reach their safe point (2 minutes when 0); they
	// get there on their own regardless.
	StopWait time.Duration
	// Now is the clock (time.Now when nil); RetryEvery how long to wait
	// between reattach attempts (1 s when 0).
	Now        func() time.Time
	RetryEvery time.Duration
}

// Progress is where the controller reports, host by host.
type Progress interface {
	// Event is one line of a host step's events file, as the host wrote it.
	Event(host string, line []byte)
	// Note is the controller's own account; host is "" for the fleet.
	Note(host, msg string)
}

// HostReport is one host's line of the summary.
type HostReport struct {
	Name string
	// Result is plan.HostResult's word once the host's step ended, else
	// what became of it: "untouched", "refused", "would roll" (dry run).
	Result string
	// Sent is the bytes copied to the host (binary and release); for a dry
	// run, what would be.
	Sent   int64
	Detail string
}

// Report is the outcome of Run.
type Report struct {
	FleetID string
	Result  journal.Result // "" for a dry run or a refusal
	Reason  string
	Plan    *plan.Plan
	Hosts   []HostReport
}

// OK reports whether every host of the rollout succeeded. A host left
// out by --skip-unreachable does not fail it: the operator asked for it
// to be left out, and every report says it was.
func (r *Report) OK() bool {
	for _, h := range r.Hosts {
		if h.Result != string(plan.HostSucceeded) && h.Result != ResultSkipped {
			return false
		}
	}
	return r.Result == journal.ResultSucceeded
}

// RefusedError is a rollout refused before any instance was touched: a
// host unreachable, of unknown or changed key, of another protocol, without
// the service, or failing its copy or stage.
type RefusedError struct {
	Phase string
	Hosts map[string]error
	// Touched says whether anything was copied before the refusal (the
	// copy phase), though no instance was restarted.
	Touched bool
	// Fix, when set, is what the operator can do about it.
	Fix string
}

func (e *RefusedError) Error() string {
	var b strings.Builder
	what := "nothing was touched on any host"
	if e.Touched {
		what = "no instance was touched on any host"
	}
	fmt.Fprintf(&b, "fleet rollout refused at %s (%s):", e.Phase, what)
	for _, name := range sortedKeys(e.Hosts) {
		fmt.Fprintf(&b, "\n  %v", e.Hosts[name])
	}
	if e.Fix != "" {
		b.WriteString("\n  fix: " + e.Fix)
	}
	return b.String()
}

func (e *RefusedError) Unwrap() []error {
	var out []error
	for _, name := range sortedKeys(e.Hosts) {
		out = append(out, e.Hosts[name])
	}
	return out
}

// run is one Run's state.
type run struct {
	o     Options
	hosts map[string]Host
	// order is the hosts of the rollout; all also has the skipped ones
	// (skipped: why), for the report.
	order   []string
	all     []string
	skipped map[string]string
	// skippedInstances is how many instances each skipped host has, by
	// its file: down, for the capacity floor.
	skippedInstances map[string]int
	rep              map[string]*HostReport
	boot             map[string]string
	// started: hosts whose deploy step began, the only ones it may have
	// changed.
	started map[string]bool
	j       *journal.Journal
	mu      sync.Mutex // rep, j, lock, lostAt
	// lock is this controller's side of the fleet lock (lease.go).
	lock lockState
	// lostAt is when each host's follow lost it for good: its
	// reattach_deadline ran from then, and is not waited for twice.
	lostAt map[string]time.Time
}

// Run rolls the release out across hosts (one Host per Options.Hosts,
// same names) as the package doc says. The error is a *RefusedError when
// the rollout was refused before any instance was touched, else a failure
// to keep the journal; how the rollout ended is in the Report.
func Run(ctx context.Context, hosts []Host, o Options) (*Report, error) {
	r, err := newRun(hosts, o)
	if err != nil {
		return nil, err
	}
	rep := &Report{FleetID: o.FleetID}
	p, err := r.prepare(ctx)
	rep.Plan = p
	rep.Hosts = r.reports()
	if err != nil {
		return rep, err
	}
	if o.DryRun {
		for _, h := range rep.Hosts {
			if h.Result != ResultSkipped {
				r.rep[h.Name].Result = "would roll"
			}
		}
		rep.Hosts = r.reports()
		return rep, nil
	}
	res, reason, err := r.roll(ctx, p)
	rep.Result, rep.Reason, rep.Hosts = res, reason, r.reports()
	return rep, err
}

// newRun sets o's defaults and pairs its hosts with their connections.
func newRun(hosts []Host, o Options) (*run, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RetryEvery == 0 {
		o.RetryEvery = time.Second
	}
	if o.StopWait == 0 {
		o.StopWait = 2 * time.Minute
	}
	if o.Progress == nil {
		o.Progress = nopProgress{}
	}
	o.Strategy = o.Strategy.WithDefaults()
	if err := kindOptions(&o); err != nil {
		return nil, err
	}
	r := &run{o: o, hosts: map[string]Host{}, rep: map[string]*HostReport{}, boot: map[string]string{}, started: map[string]bool{}, skipped: map[string]string{}, skippedInstances: map[string]int{}}
	for _, h := range hosts {
		r.hosts[h.Name()] = h
	}
	for _, h := range o.Hosts {
		if r.hosts[h.Name] == nil {
			return nil, fmt.Errorf("controller: no connection for host %s", h.Name)
		}
		r.order = append(r.order, h.Name)
		r.all = append(r.all, h.Name)
		r.rep[h.Name] = &HostReport{Name: h.Name, Result: "untouched"}
	}
	return r, nil
}

func (r *run) reports() []HostReport {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]HostReport, 0, len(r.all))
	for _, n := range r.all {
		out = append(out, *r.rep[n])
	}
	return out
}

// each runs f for every name in parallel (the pool bounds the handshakes)
// and returns the errors by host.
func each(names []string, f func(name string) error) map[string]error {
	var mu sync.Mutex
	errs := map[string]error{}
	var wg sync.WaitGroup
	for _, n := range names {
		wg.Go(func() {
			if err := f(n); err != nil {
				mu.Lock()
				errs[n] = err
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errs
}

// prepare is everything before the first host batch: connect, handshake,
// the service check, copy and stage (or, dry, what they would do), then
// the plan. A host that has the build answers the handshake, the claims,
// the service check and whether it holds the release in one probe.
func (r *run) prepare(ctx context.Context) (*plan.Plan, error) {
	o := r.o
	if errs := r.skipUnreachable(each(r.order, func(n string) error { return r.hosts[n].Connect(ctx) })); len(errs) > 0 {
		err := r.refuse("connect", errs, false)
		err.(*RefusedError).Fix = unreachableFix(errs)
		return nil, err
	}
	// One probe per host (version, status, has, claims: one SSH session);
	// a host without the build is probed once it is copied there.
	probes := map[string]HostProbe{}
	var mu sync.Mutex
	errs := each(r.order, func(n string) error {
		p, ok, err := r.probeFor(ctx, n)
		if err != nil || !ok {
			return err
		}
		if err := r.checkVersion(n, p.Version); err != nil {
			return err
		}
		mu.Lock()
		probes[n] = p
		mu.Unlock()
		return nil
	})
	if len(errs) > 0 {
		return nil, r.refuse("handshake", errs, false)
	}
	if err := r.refuseClaimed(ctx, probes); err != nil {
		return nil, err
	}
	instances := map[string]int{}
	errs = each(r.order, func(n string) error {
		h := r.hosts[n]
		var sent int64
		mu.Lock()
		p, present := probes[n]
		mu.Unlock()
		if !present {
			if o.DryRun {
				r.setSent(n, o.BinarySize+o.ArtifactSize, "sysroll build and release not on the host")
				return nil
			}
			var err error
			p, sent, err = r.pushAndProbe(ctx, n)
			r.setSent(n, sent, "")
			if err != nil {
				return err
			}
		}
		if p.StatusErr != nil {
			return r.notApplied(n, p.StatusErr)
		}
		mu.Lock()
		instances[n] = len(p.Status.Instances)
		mu.Unlock()
		if o.Kind != journal.KindDeploy {
			return nil // a restart or rollback copies nothing
		}
		if p.HasErr != nil {
			return p.HasErr
		}
		if p.Has {
			r.setSent(n, sent, "release "+o.Version+" already staged")
			return nil
		}
		if o.DryRun {
			r.setSent(n, sent+o.ArtifactSize, "")
			return nil
		}
		s, err := h.PushArtifact(ctx)
		sent += s
		r.setSent(n, sent, "")
		if err != nil {
			return err
		}
		if _, err := h.Stage(ctx, o.Service, o.Version, o.SHA256, o.FleetID); err != nil {
			return fmt.Errorf("stage release %s: %w", o.Version, err)
		}
		return nil
	})
	what := "copy"
	if o.Kind != journal.KindDeploy {
		what = "copy (the sysroll build only)"
	}
	for _, n := range r.order {
		rp := r.rep[n]
		o.Progress.Note(n, fmt.Sprintf("%s: %d bytes%s", what, rp.Sent, wouldBe(o.DryRun)))
	}
	if len(errs) > 0 {
		phase := "copy and stage"
		if o.Kind != journal.KindDeploy {
			phase = "the service check"
		}
		return nil, r.refuse(phase, errs, !o.DryRun && o.Kind == journal.KindDeploy)
	}
	if o.Kind == journal.KindRollback {
		if err := r.rollbackTarget(ctx); err != nil {
			return nil, err
		}
	}
	var hosts []plan.Host
	for _, h := range o.Hosts {
		if _, skip := r.skipped[h.Name]; skip {
			r.skippedInstances[h.Name] = h.Instances // what the files say: the host could not tell
			continue
		}
		if n, ok := instances[h.Name]; ok {
			h.Instances = n // what the host runs; else what the files say (dry run)
		}
		hosts = append(hosts, h)
	}
	p, err := plan.Batches(hosts, o.Strategy)
	if err != nil {
		return nil, fmt.Errorf("plan the host batches: %w", err)
	}
	o.Progress.Note("", p.Describe())
	return p, nil
}

func wouldBe(dry bool) string {
	if dry {
		return " would be sent (dry run: nothing changed)"
	}
	return " sent"
}

func (r *run) setSent(n string, sent int64, detail string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rep[n].Sent = sent
	if detail != "" {
		r.rep[n].Detail = detail
	}
}

func (r *run) checkVersion(n string, v schema.Version) error {
	if err := checkProtocol(n, v); err != nil {
		return err
	}
	r.mu.Lock()
	r.boot[n] = v.BootID
	r.mu.Unlock()
	return nil
}

func (r *run) refuse(phase string, errs map[string]error, touched bool) error {
	for n, err := range errs {
		if r.rep[n] == nil { // a refusal of the whole rollout, not of a host
			continue
		}
		r.rep[n].Result = "refused"
		r.rep[n].Detail = err.Error()
	}
	return &RefusedError{Phase: phase, Hosts: errs, Touched: touched}
}

// unreachableFix is the way on when hosts could not be reached (not for
// a host key: that one the operator must check, never route around).
func unreachableFix(errs map[string]error) string {
	var names []string
	for _, n := range sortedKeys(errs) {
		if !Unreachable(errs[n]) {
			return ""
		}
		names = append(names, n)
	}
	return fmt.Sprintf("bring %s back, or roll the others: --limit '%s' leaves them out, "+
		"--skip-unreachable rolls the rest counting them as down", strings.Join(names, ", "), "!"+strings.Join(names, ":!"))
}

type nopProgress struct{}

func (nopProgress) Event(string, []byte) {}
func (nopProgress) Note(string, string)  {}

func sortedKeys(m map[string]error) []string {
	return slices.Sorted(maps.Keys(m))
}

var errNoResult = errors.New("no result seen")
