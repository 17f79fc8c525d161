package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sysroll/sysroll/internal/config"
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
	// DryRun computes the report and changes nothing.
	DryRun bool
}

// ApplyReport is what Apply did (or, with DryRun, would do).
type ApplyReport struct {
	Service       string           `json:"service"`
	Changed       bool             `json:"changed"`
	DryRun        bool             `json:"dry_run"`
	Plan          *install.Plan    `json:"plan"`
	ServiceFile   string           `json:"service_file_diff,omitempty"`
	StagedRelease *release.Release `json:"staged_release,omitempty"`
}

// Apply installs or updates a service's units and converges its instances:
// new ones are started, removed ones stopped and removed, running ones are
// never restarted (the report lists those that need `restart`). Applying the
// same file again changes nothing. Every instance to start needs a release:
// the known-good one, else the one most instances run, else opts.Artifact;
// that is settled before anything changes, so a missing or bad artifact
// fails with nothing half-done.
func (h *Host) Apply(ctx context.Context, opts ApplyOptions) (*ApplyReport, error) {
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
	raw, err := os.ReadFile(opts.File)
	if err != nil {
		return nil, asInput(err)
	}
	unitDir, err := h.unitDir()
	if err != nil {
		return nil, err
	}
	m, err := h.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	in := &install.Installer{Manager: m, UnitDir: unitDir, StateDir: stateDir}
	plan, err := in.Plan(ctx, desired(svc, files))
	if err != nil {
		return nil, err
	}
	svcPath := filepath.Join(stateDir, appliedServiceFile)
	oldRaw, err := readIfExists(svcPath)
	if err != nil {
		return nil, err
	}
	rep := &ApplyReport{Service: svc.Name, Plan: plan, DryRun: opts.DryRun}
	rep.ServiceFile = install.Diff(appliedServiceFile, string(oldRaw), string(raw))
	rep.Changed = !plan.NoChanges() || rep.ServiceFile != ""

	var store *release.Store
	var initial string
	if len(plan.Start) > 0 && !opts.DryRun {
		// A first install that fails here (no or a bad artifact) must
		// leave nothing behind, not even an empty state dir.
		fresh, err := missing(stateDir)
		if err != nil {
			return nil, err
		}
		if fresh && opts.Artifact == "" {
			return nil, inputf("%s", noReleaseHint)
		}
		if store, err = release.Open(stateDir); err != nil {
			return nil, err
		}
		if initial, err = initialRelease(ctx, store, svc.InstanceNames(), opts, rep); err != nil {
			if fresh {
				os.RemoveAll(stateDir)
			}
			return nil, err
		}
	}
	if opts.DryRun || !rep.Changed {
		return rep, nil
	}
	// Record the service file as installed as soon as the units are: if an
	// instance then fails to start, status, deploy and uninstall still
	// know the service.
	in.Installed = func(context.Context) error {
		return release.WriteFileAtomic(svcPath, raw, 0o644)
	}
	in.Prepare = func(_ context.Context, inst string) error {
		v, err := store.Current(inst)
		if err != nil {
			return err
		}
		if v != "" {
			// Keep the instance's release, unless it never proved good
			// and a new artifact came to replace it: a first install
			// whose release failed to start, retried with a fixed one.
			if rep.StagedRelease == nil || v == initial {
				return nil
			}
			if good, err := provenGood(store, v); err != nil || good {
				return err
			}
		}
		return store.Switch(inst, initial)
	}
	if err := in.Apply(ctx, plan); err != nil {
		return rep, h.startFailure(ctx, m, svc.Name, err)
	}
	for _, unit := range plan.Stop {
		inst := strings.TrimSuffix(strings.TrimPrefix(unit, svc.Name+"@"), ".service")
		if store == nil {
			if store, err = release.Open(stateDir); err != nil {
				return rep, err
			}
		}
		if err := store.RemoveInstance(inst); err != nil {
			return rep, err
		}
	}
	if initial != "" && rep.StagedRelease != nil {
		if err := store.MarkGood(initial); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// initialRelease picks the release new instances start on: the artifact
// staged now when one is given, else the known-good release, else the one
// most instances run.
func initialRelease(ctx context.Context, store *release.Store, instances []string, opts ApplyOptions, rep *ApplyReport) (string, error) {
	if opts.Artifact != "" {
		rel, err := store.Stage(ctx, opts.Artifact, release.StageOptions{Version: opts.Version})
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
	journal := "journalctl"
	if h.User {
		journal += " --user"
	}
	return fmt.Errorf("apply %s: %w%s\n  the units are installed; the instance's log: %s -u %s -n 50\n  fix the release and apply again with --artifact, or remove it all: sysroll uninstall %s",
		service, err, why, journal, je.Unit, service)
}

// UninstallOptions says what Uninstall removes.
type UninstallOptions struct {
	Service string
	// Purge also deletes releases and rollout history.
	Purge bool
}

// Uninstall stops every instance, the group and the socket, and removes the
// unit files. Releases and history stay unless Purge; with Purge it also
// accepts a service an earlier uninstall left, so that space can be freed.
func (h *Host) Uninstall(ctx context.Context, opts UninstallOptions) error {
	dir, err := h.uninstallDir(opts.Service, opts.Purge)
	if err != nil {
		return err
	}
	unitDir, err := h.unitDir()
	if err != nil {
		return err
	}
	m, err := h.connect(ctx)
	if err != nil {
		return err
	}
	defer m.Close()
	in := &install.Installer{Manager: m, UnitDir: unitDir, StateDir: dir}
	if err := in.Uninstall(ctx, opts.Service, opts.Purge); err != nil {
		return fmt.Errorf("uninstall %s: %w", opts.Service, err)
	}
	if !opts.Purge {
		if err := os.Remove(filepath.Join(dir, appliedServiceFile)); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}

// uninstallDir returns the state dir of an installed service, or with purge
// one that an earlier uninstall left (releases and history kept).
func (h *Host) uninstallDir(name string, purge bool) (string, error) {
	_, dir, err := h.loadInstalled(name)
	if err == nil || !purge || config.ValidateName(name) != nil {
		return dir, err
	}
	d, derr := h.serviceDir(name)
	if derr != nil {
		return "", err
	}
	if gone, _ := missing(filepath.Join(d, appliedServiceFile)); !gone {
		return "", err // installed, but its file is unreadable: say why
	}
	if gone, _ := missing(d); gone {
		return "", err
	}
	return d, nil
}
