package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/diagnose"
	"github.com/sysroll/sysroll/internal/install"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/unitfile"
)

// ApplyOptions says what Apply installs.
type ApplyOptions struct {
	// File is the service file.
	File string
	// Artifact is the release new instances start on: needed when an
	// instance has none yet and no release was proven good.
	Artifact string
	// Version names that release; "" is a short sha256.
	Version string
	// As is the file name a single-binary Artifact gets in the release: the
	// one the service's command runs ("" keeps the artifact's own name).
	As string
	// DryRun computes the report and changes nothing.
	DryRun bool
	// NoWait returns once systemd has started the instances (their start
	// jobs done), without the health gate: apply's behaviour before it
	// waited. A first release then counts as known-good as it did then.
	NoWait bool
	// Applied, if set, is called with the report once the units are
	// installed and the instances started, before the wait: the CLI shows
	// what changed while the gates run.
	Applied func(*ApplyReport)
	// Progress, if set, receives the wait's events (from one goroutine at
	// a time).
	Progress func(WaitEvent)
}

// ApplyReport is what Apply did (or, with DryRun, would do).
type ApplyReport struct {
	Service       string           `json:"service"`
	Changed       bool             `json:"changed"`
	DryRun        bool             `json:"dry_run"`
	Plan          *install.Plan    `json:"plan"`
	ServiceFile   string           `json:"service_file_diff,omitempty"`
	StagedRelease *release.Release `json:"staged_release,omitempty"`
	// Warnings are what the service file allows but probably does not mean
	// (a secret in environment:, a port it cannot bind), each with its fix;
	// they change nothing (config.Service.Warnings).
	Warnings []string `json:"warnings,omitempty"`
	// Waited lists each instance apply started and waited for, with its
	// health gate's result; empty with NoWait, for a dry run, or when
	// nothing was started. Instances apply did not start (already running)
	// are not checked: `sysroll status` does that.
	Waited []InstanceWait `json:"waited,omitempty"`
	// NoWait is set when the wait was skipped (ApplyOptions.NoWait).
	NoWait bool `json:"no_wait,omitempty"`
}

// Apply installs or updates a service's units and converges its instances:
// new ones are started, removed ones stopped and removed, running ones are
// never restarted (the report lists those that need `restart`). Applying the
// same file again changes nothing. Every instance to start needs a release:
// the known-good one, else the one most instances run, else opts.Artifact;
// that is settled before anything changes, so a missing or bad artifact
// fails with nothing half-done.
func (h *Host) Apply(ctx context.Context, opts ApplyOptions) (rep *ApplyReport, err error) {
	svc, err := Load(opts.File)
	if err != nil {
		return nil, err
	}
	files, stateDir, err := h.render(svc)
	if err != nil {
		return nil, err
	}
	if err := unitfile.Verify(ctx, svc, files); err != nil {
		return nil, asInput(err) // this host's systemd would ignore a line
	}
	raw, err := config.ReadFile(opts.File)
	if err != nil {
		return nil, asInput(err)
	}
	unitDir, err := h.unitDir()
	if err != nil {
		return nil, err
	}
	// The lock comes before anything is read to decide: apply stops and
	// starts instances and rewrites units, which must never happen under
	// a rollout. A dry run changes nothing and takes no lock.
	fresh, err := missing(stateDir)
	if err != nil {
		return nil, err
	}
	var store *release.Store
	installing := false
	switch {
	case fresh && opts.DryRun:
	case fresh && opts.Artifact == "":
		// Nothing to start the instances on: refuse before creating
		// anything, not even the state dir.
		return nil, inputf("%s", noReleaseHint)
	default:
		if store, err = release.Open(stateDir); err != nil {
			return nil, err
		}
		if fresh {
			// A first install that fails before its units go in leaves
			// nothing behind.
			defer func() {
				if err != nil && !installing {
					os.RemoveAll(stateDir)
				}
			}()
		}
		if !opts.DryRun {
			lock, err := h.lock(store)
			if err != nil {
				return nil, err
			}
			defer lock.Unlock()
		}
		if err := refuseAddWhileUnfinished(store, svc.Name, svc.InstanceNames()); err != nil {
			return nil, err
		}
	}
	m, err := h.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	rec := newStartRecorder(m)
	in := &install.Installer{Manager: rec, UnitDir: unitDir, StateDir: stateDir}
	plan, err := in.Plan(ctx, desired(svc, files))
	if err != nil {
		return nil, err
	}
	svcPath := filepath.Join(stateDir, appliedServiceFile)
	oldRaw, err := readIfExists(svcPath)
	if err != nil {
		return nil, err
	}
	rep = &ApplyReport{Service: svc.Name, Plan: plan, DryRun: opts.DryRun, Warnings: Warnings(svc)}
	rep.ServiceFile = install.Diff(appliedServiceFile, string(oldRaw), string(raw))
	rep.Changed = !plan.NoChanges() || rep.ServiceFile != ""

	if !opts.DryRun {
		// Before anything changes (no release staged, no unit written).
		if err := h.checkPorts(ctx, m, svc, plan.Start); err != nil {
			return nil, err
		}
	}
	var initial string
	if len(plan.Start) > 0 && !opts.DryRun {
		if initial, err = initialRelease(ctx, store, svc, opts, rep); err != nil {
			return nil, err
		}
	}
	if opts.DryRun || !rep.Changed {
		return rep, nil
	}
	// Which release each instance to start gets is decided (and checked)
	// before anything changes: a deleted or altered release would leave
	// the instance down after half an apply.
	starts := map[string]string{}
	for _, unit := range plan.Start {
		inst := strings.TrimSuffix(strings.TrimPrefix(unit, svc.Name+"@"), ".service")
		if starts[inst], err = startRelease(store, inst, initial, rep.StagedRelease != nil); err != nil {
			return nil, err
		}
	}
	if err := checkApplyStarts(store, svc.Name, starts); err != nil {
		return nil, err
	}
	// Record the service file as installed as soon as the units are: if an
	// instance then fails to start, status, deploy and uninstall still
	// know the service.
	in.Installed = func(context.Context) error {
		return release.WriteFileAtomic(svcPath, raw, 0o644)
	}
	in.Prepare = func(_ context.Context, inst string) error {
		v, ok := starts[inst]
		if !ok {
			return fmt.Errorf("instance %s was not planned to start", inst)
		}
		if cur, err := store.Current(inst); err == nil && cur == v {
			return nil
		}
		return store.Switch(inst, v)
	}
	if err := makeAgentDir(svc, stateDir); err != nil {
		return nil, err
	}
	installing = true
	if err := in.Apply(ctx, plan); err != nil {
		return rep, h.startFailure(ctx, m, svc.Name, err)
	}
	for _, unit := range plan.Stop {
		inst := strings.TrimSuffix(strings.TrimPrefix(unit, svc.Name+"@"), ".service")
		if err := store.RemoveInstance(inst); err != nil {
			return rep, err
		}
	}
	rep.NoWait = opts.NoWait
	if opts.Applied != nil {
		opts.Applied(rep)
	}
	if !opts.NoWait && len(plan.Start) > 0 {
		rep.Waited = h.waitStarted(ctx, rec, svc, store, plan.Start, opts.Progress)
		if ctx.Err() != nil {
			// Ctrl-C (or SIGTERM) in the wait: what was started runs on;
			// only the verdict is missing.
			return rep, fmt.Errorf("apply %s: interrupted while waiting for the health gate: the units are installed and the instances started; see `sysroll status %s`: %w",
				svc.Name, svc.Name, ctx.Err())
		}
		if failed := gateFailures(rep.Waited); len(failed) > 0 {
			// Not proven good: a retry with a fixed artifact replaces it
			// (startRelease), and no rollback ever goes back to it.
			return rep, &GateError{Service: svc.Name, Failed: failed, Started: len(plan.Start)}
		}
	}
	if initial != "" && rep.StagedRelease != nil {
		if err := store.MarkGood(initial); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// startRelease is the release apply starts an instance on: the one it
// points at, unless that never proved good and a new artifact came to
// replace it (a first install whose release failed to start, retried with
// a fixed one), or its link is missing or broken; then initial.
func startRelease(store *release.Store, inst, initial string, staged bool) (string, error) {
	v, err := store.Current(inst)
	if err != nil || v == "" {
		return initial, nil // no usable link: apply points it at initial
	}
	if !staged || v == initial {
		return v, nil
	}
	good, err := provenGood(store, v)
	if err != nil || good {
		return v, err
	}
	return initial, nil
}

// checkApplyStarts refuses an apply that would start an instance on a
// broken release, before anything changed.
func checkApplyStarts(store *release.Store, service string, starts map[string]string) error {
	var problems []string
	verified := map[string]string{}
	for inst, v := range starts {
		if v == "" {
			continue // initialRelease said why already
		}
		if _, ok := verified[v]; !ok {
			verified[v] = verifyRelease(store, v)
		}
		if verified[v] != "" {
			problems = append(problems, fmt.Sprintf("instance %s (start): release %s: %s", inst, v, verified[v]))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	slices.Sort(problems)
	return &BrokenError{Service: service, Problems: problems,
		Fix: "apply again with a good release (`sysroll apply FILE --artifact PATH`)"}
}

// initialRelease picks the release new instances start on: the artifact
// staged now when one is given, else the known-good release, else the one
// most instances run.
func initialRelease(ctx context.Context, store *release.Store, svc *config.Service, opts ApplyOptions, rep *ApplyReport) (string, error) {
	instances := svc.InstanceNames()
	if opts.Artifact != "" {
		// Program: a release without what the command runs is refused here,
		// before any instance starts on it (and fails with 203/EXEC).
		rel, err := store.Stage(ctx, opts.Artifact, release.StageOptions{Version: opts.Version, As: opts.As, Program: program(svc.Command)})
		if err != nil {
			return "", asInput(fmt.Errorf("artifact rejected, nothing changed: %w", err))
		}
		rep.StagedRelease = &rel
		return rel.Version, nil
	}
	if v, err := store.KnownGood(); err == nil && v != "" {
		return v, nil
	}
	if v, err := currentRelease(store, instances); err == nil && v != "" {
		return v, nil
	}
	return "", inputf("%s", noReleaseHint)
}

const noReleaseHint = "no release to start the instances on yet: pass --artifact PATH (the binary, directory or .tar.gz the command runs)"

// currentRelease is the release most instances point at: a service's
// "current" release, as rollback and apply see it. The rollout record's
// "from" is the same function of the same links.
func currentRelease(store *release.Store, instances []string) (string, error) {
	vs := make([]string, 0, len(instances))
	for _, inst := range instances {
		v, err := store.Current(inst)
		if err != nil {
			return "", err
		}
		vs = append(vs, v)
	}
	return release.Majority(vs), nil
}

// provenGood reports whether version was ever marked good.
func provenGood(store *release.Store, version string) (bool, error) {
	hist, err := store.GoodHistory()
	if err != nil {
		return false, err
	}
	for _, e := range hist.Entries {
		if e.Version == version {
			return true, nil
		}
	}
	return false, nil
}

// startFailure explains an apply that failed to start an instance: why the
// process ended, where its log is, and how to go on (the units stay
// installed, so status, a retry and uninstall all work).
func (h *Host) startFailure(ctx context.Context, m systemd.Manager, service string, err error) error {
	je, ok := errors.AsType[*systemd.JobError](err)
	if !ok {
		return fmt.Errorf("apply %s: %w", service, err)
	}
	why := ""
	if u, uerr := m.Unit(ctx, je.Unit); uerr == nil && u.Result != "" && u.Result != "success" {
		why = fmt.Sprintf(" (%s, status %d)", u.Result, u.ExecMainStatus)
	}
	// The app's own error is usually in its last lines: show them here
	// rather than send the operator to look.
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	lines, hints := diagnose.Failure(h.logs()(lctx, je.Unit, diagnose.ReadLines), applyLogLines)
	cancel()
	journal := ""
	if len(lines) > 0 {
		journal = "\n  its last journal lines:\n    " + strings.Join(lines, "\n    ")
	}
	for _, h := range hints {
		journal += "\n  hint: " + h.String()
	}
	return fmt.Errorf("apply %s: %w%s%s\n  the units are installed; more of the instance's log: sysroll logs %s %s -n 50\n  fix the release and apply again with --artifact, or remove it all: sysroll uninstall %s",
		service, err, why, journal, service, instanceName(service, je.Unit), service)
}

// Warnings renders the service file's warnings (config.Service.Warnings) as
// one line each: file:line:col, the field and the fix.
func Warnings(svc *config.Service) []string {
	var out []string
	for _, w := range svc.Warnings() {
		out = append(out, w.Error())
	}
	return out
}
