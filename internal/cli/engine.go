package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/health"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/traffic"
	"github.com/sysroll/sysroll/internal/unitfile"
)

// gateFor maps the service file's health settings onto the engine's gate.
func gateFor(svc *config.Service) health.Gate {
	h := svc.Health
	g := health.Gate{
		Interval:           h.Interval,
		Timeout:            h.Timeout,
		HealthyThreshold:   h.HealthyThreshold,
		UnhealthyThreshold: h.UnhealthyThreshold,
		HealthyFor:         h.HealthyFor,
		Deadline:           h.Deadline,
	}
	// In the gate 0 means "default"; in the service file an explicit 0 means
	// "no stability window".
	if g.HealthyFor == 0 {
		g.HealthyFor = -1
	}
	return g
}

// probesFor builds an instance's probes from the service file.
func probesFor(svc *config.Service, store *release.Store) func(instance string) []health.Probe {
	return func(inst string) []health.Probe {
		h := svc.Health
		rel := store.CurrentPath(inst)
		var ps []health.Probe
		if h.HTTP != nil {
			ps = append(ps, health.HTTP{URL: svc.Expand(h.HTTP.URL, rel, inst), Status: h.HTTP.Status, Body: h.HTTP.Body})
		}
		if h.TCP != nil {
			ps = append(ps, health.TCP{Addr: svc.Expand(h.TCP.Address, rel, inst)})
		}
		if h.Exec != nil {
			argv, err := config.SplitCommand(svc.Expand(h.Exec.Command, rel, inst))
			if err == nil {
				ps = append(ps, health.Exec{Argv: argv})
			}
		}
		return ps
	}
}

// strategyFor maps the service file's rollout settings onto the engine's.
func strategyFor(svc *config.Service) rollout.Strategy {
	r := svc.Rollout
	st := rollout.Strategy{
		Batch:            r.Batch,
		Ramp:             r.Ramp,
		FailureAction:    r.FailureAction,
		FailureBudget:    r.FailureBudget,
		ProgressDeadline: r.ProgressDeadline,
		DrainTimeout:     r.DrainTimeout,
	}
	if len(st.Ramp) > 0 {
		st.Batch = config.Step{}
	}
	return st
}

func whoAmI() string {
	if u, err := user.Current(); err == nil {
		if sudo := os.Getenv("SUDO_USER"); sudo != "" && u.Uid == "0" {
			return sudo + " (via sudo)"
		}
		return u.Username
	}
	return fmt.Sprintf("uid %d", os.Getuid())
}

// journalTail returns a unit's last n log lines. journalctl is the only
// reader of the journal's binary files we can count on; failing to read
// logs must not fail the rollout, so errors become a single line.
func journalTail(user bool) func(ctx context.Context, unit string, n int) []string {
	return func(ctx context.Context, unit string, n int) []string {
		args := []string{"--no-pager", "-o", "cat", "-n", fmt.Sprint(n), "-u", unit}
		if user {
			args = append([]string{"--user"}, args...)
		}
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		if !user {
			// The job result reaches us over D-Bus before journald has
			// stored the unit's last lines (the app's own error on stderr,
			// "Main process exited"): without this the tail of a unit that
			// failed at start often ended just before the reason. --sync
			// returns once everything logged before it is stored; it needs
			// root, which the system manager needs anyway. Best effort.
			sctx, scancel := context.WithTimeout(ctx, time.Second)
			_ = exec.CommandContext(sctx, "journalctl", "--sync").Run()
			scancel()
		}
		out, err := exec.CommandContext(ctx, "journalctl", args...).Output()
		if err != nil {
			return []string{"(journal unavailable: " + err.Error() + ")"}
		}
		return strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	}
}

// rolloutEnv is everything one rollout command needs, opened once.
type rolloutEnv struct {
	svc   *config.Service
	store *release.Store
	m     systemd.Manager
	lock  *release.Lock
	// traffic is the optional --probe; stats fill while a rollout runs.
	traffic trafficFlags
	stats   *traffic.Stats
}

func (e *rolloutEnv) close() {
	if e.lock != nil {
		_ = e.lock.Unlock()
	}
	if e.m != nil {
		_ = e.m.Close()
	}
}

// openRollout loads the installed service, takes the deploy lock and
// connects to systemd. The lock comes first: a second rollout is refused at
// once, naming who holds it.
func openRollout(ctx context.Context, g *globals, name string) (*rolloutEnv, error) {
	svc, dir, err := g.loadInstalled(name)
	if err != nil {
		return nil, err
	}
	store, err := release.Open(dir)
	if err != nil {
		return nil, err
	}
	e := &rolloutEnv{svc: svc, store: store}
	e.lock, err = store.Lock(release.LockInfo{User: whoAmI(), Command: strings.Join(os.Args, " ")})
	if err != nil {
		return nil, err
	}
	e.m, err = g.connect(ctx)
	if err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

func (e *rolloutEnv) spec(kind release.Kind, target string) rollout.Spec {
	host, _ := os.Hostname()
	name := e.svc.Name
	return rollout.Spec{
		Service:   name,
		Kind:      kind,
		Target:    target,
		Instances: e.svc.InstanceNames(),
		Strategy:  strategyFor(e.svc),
		Gate:      gateFor(e.svc),
		Unit:      func(inst string) string { return unitfile.InstanceUnit(name, inst) },
		User:      whoAmI(),
		Host:      host,
	}
}

func (e *rolloutEnv) deps(g *globals, p rollout.Progress) rollout.Deps {
	return rollout.Deps{
		Manager:  e.m,
		Releases: e.store,
		Journal:  e.store,
		Drainer:  drainerFor(e.svc, e.store),
		Probes:   e.probes(),
		// The traffic proof counts failures over the whole rollout, those
		// of the bad release included: a revert is judged without it.
		RevertProbes: probesFor(e.svc, e.store),
		Logs:         journalTail(g.user),
		Progress:     p,
	}
}

// probes are the service file's probes plus, with --probe, the traffic
// proof, so a breach fails the instance being gated.
func (e *rolloutEnv) probes() func(string) []health.Probe {
	base := probesFor(e.svc, e.store)
	if e.stats == nil {
		return base
	}
	tp := e.traffic.probe(e.stats)
	return func(inst string) []health.Probe { return append(base(inst), tp) }
}

// unfinished returns the rollout of the service that must be completed
// (`deploy --resume`) or undone (`rollback`) before another may start: one
// whose sysroll died mid-way (kill -9, a lost session: store.Unfinished
// reports it interrupted), or the newest one if it ended interrupted
// (Ctrl-C, SIGTERM), which finished or undid its step but may have left the
// instances on mixed releases. Without the second case a Ctrl-C'ed rollout
// could be neither resumed nor rolled back as one.
func unfinished(store *release.Store) (*release.Record, error) {
	rec, err := store.Unfinished()
	if err != nil || rec != nil {
		return rec, err
	}
	recs, err := store.Records()
	if err != nil {
		return nil, err
	}
	if len(recs) > 0 && recs[0].Result == release.ResultInterrupted {
		return &recs[0], nil
	}
	return nil, nil
}

// finish marks a successful rollout's release good and prunes old ones.
func (e *rolloutEnv) finish(rec *release.Record) error {
	if rec == nil || rec.Result != release.ResultSucceeded {
		return nil
	}
	target := rec.To
	if target == "" {
		return nil
	}
	if err := e.store.MarkGood(target); err != nil {
		return err
	}
	_, err := e.store.Prune(e.svc.ReleasesKeep)
	return err
}

// The preflight reads every other instance before each batch; with the
// D-Bus Manager it does so in one ListUnitsByNames call.
var _ rollout.StateLister = (*systemd.DBus)(nil)
