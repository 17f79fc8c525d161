package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/sysroll/sysroll/internal/install"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/systemd"
)

type applyReport struct {
	Service       string           `json:"service"`
	Changed       bool             `json:"changed"`
	DryRun        bool             `json:"dry_run"`
	Plan          *install.Plan    `json:"plan"`
	ServiceFile   string           `json:"service_file_diff,omitempty"`
	StagedRelease *release.Release `json:"staged_release,omitempty"`
}

func newApplyCmd(g *globals) *cobra.Command {
	var dryRun bool
	var artifact, version string
	cmd := &cobra.Command{
		Use:   "apply FILE",
		Short: "Install or update a service's units and converge its instances",
		Long: `Render FILE and install the units: NAME@.service, NAME.target (Wants= on
every instance, never Requires=) and NAME.socket when a shared socket is set;
enable the group and start the instances.

apply is idempotent: applying the same file again writes nothing, does no
daemon-reload and restarts nothing ("no changes"). A changed file shows a diff
(--dry-run shows it and stops). An added instance is started on its own, a
removed one stopped and removed. A change that needs the running instances
restarted is installed but NOT carried out by restarting them all: apply says
so, and ` + "`sysroll restart NAME`" + ` rolls it out one gated batch at a time.

The first apply needs --artifact: the release the instances start on. Later
releases come with ` + "`sysroll deploy`" + `.`,
		Example: `  sysroll apply hello.yaml --artifact ./hello --version v1
  sysroll apply hello.yaml --dry-run
  sysroll apply hello.yaml --user`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runApply(cmd.Context(), g, args[0], artifact, version, dryRun)
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show what would change, change nothing")
	cmd.Flags().StringVar(&artifact, "artifact", "", "the first release (binary, directory or .tar.gz), needed when an instance has none yet")
	cmd.Flags().StringVar(&version, "version", "", "name of that release (default: a short sha256)")
	return cmd
}

func runApply(ctx context.Context, g *globals, path, artifact, version string, dryRun bool) error {
	svc, err := loadFile(path)
	if err != nil {
		return err
	}
	files, stateDir, err := g.render(svc)
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return asUsage(err)
	}
	unitDir, err := g.unitDirectory()
	if err != nil {
		return err
	}
	m, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer m.Close()
	in := &install.Installer{Manager: m, UnitDir: unitDir, StateDir: stateDir}
	plan, err := in.Plan(ctx, desired(svc, files))
	if err != nil {
		return err
	}
	svcPath := filepath.Join(stateDir, appliedServiceFile)
	oldRaw, err := readIfExists(svcPath)
	if err != nil {
		return err
	}
	rep := applyReport{Service: svc.Name, Plan: plan, DryRun: dryRun}
	rep.ServiceFile = install.Diff(appliedServiceFile, string(oldRaw), string(raw))
	rep.Changed = !plan.NoChanges() || rep.ServiceFile != ""

	// Every instance to start needs a release. Find (or stage) it before
	// anything changes, so a missing artifact fails with nothing half-done.
	var store *release.Store
	var initial string
	if len(plan.Start) > 0 && !dryRun {
		// A first install that fails here (no or a bad --artifact) must
		// leave nothing behind, not even an empty state dir.
		fresh, err := missing(stateDir)
		if err != nil {
			return err
		}
		if fresh && artifact == "" {
			return usagef("%s", noReleaseHint)
		}
		if store, err = release.Open(stateDir); err != nil {
			return err
		}
		if initial, err = initialRelease(ctx, store, artifact, version, &rep); err != nil {
			if fresh {
				os.RemoveAll(stateDir)
			}
			return err
		}
	}
	if dryRun || !rep.Changed {
		return printApply(g, &rep)
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
			// and a new --artifact came to replace it: a first install
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
		return startFailure(ctx, g, m, svc.Name, err)
	}
	for _, unit := range plan.Stop {
		inst := strings.TrimSuffix(strings.TrimPrefix(unit, svc.Name+"@"), ".service")
		if store == nil {
			if store, err = release.Open(stateDir); err != nil {
				return err
			}
		}
		if err := store.RemoveInstance(inst); err != nil {
			return err
		}
	}
	if initial != "" && rep.StagedRelease != nil {
		if err := store.MarkGood(initial); err != nil {
			return err
		}
	}
	return printApply(g, &rep)
}

// initialRelease picks the release new instances start on: the known-good
// one, else the one the other instances run, else the --artifact staged now.
func initialRelease(ctx context.Context, store *release.Store, artifact, version string, rep *applyReport) (string, error) {
	if artifact != "" {
		rel, err := store.Stage(ctx, artifact, release.StageOptions{Version: version})
		if err != nil {
			return "", asUsage(fmt.Errorf("artifact rejected, nothing changed: %w", err))
		}
		rep.StagedRelease = &rel
		return rel.Version, nil
	}
	if v, err := store.KnownGood(); err == nil && v != "" {
		return v, nil
	}
	if v, err := majorityRelease(store); err == nil && v != "" {
		return v, nil
	}
	return "", usagef("%s", noReleaseHint)
}

const noReleaseHint = "no release to start the instances on yet: pass --artifact PATH (the binary, directory or .tar.gz the command runs)"

// startFailure explains an apply that failed to start an instance: why the
// process ended, where its log is, and how to go on (the units stay
// installed, so status, a retry and uninstall all work).
func startFailure(ctx context.Context, g *globals, m systemd.Manager, service string, err error) error {
	var je *systemd.JobError
	if !errors.As(err, &je) {
		return fmt.Errorf("apply %s: %w", service, err)
	}
	why := ""
	if u, uerr := m.Unit(ctx, je.Unit); uerr == nil && u.Result != "" && u.Result != "success" {
		why = fmt.Sprintf(" (%s, status %d)", u.Result, u.ExecMainStatus)
	}
	journal := "journalctl"
	if g.user {
		journal += " --user"
	}
	return fmt.Errorf("apply %s: %w%s\n  the units are installed; the instance's log: %s -u %s -n 50\n  fix the release and apply again with --artifact, or remove it all: sysroll uninstall %s",
		service, err, why, journal, je.Unit, service)
}

func printApply(g *globals, rep *applyReport) error {
	if g.json {
		return json.NewEncoder(g.stdout).Encode(rep)
	}
	w := g.stdout
	if !rep.Changed {
		fmt.Fprintf(w, "%s: no changes\n", rep.Service)
		return nil
	}
	p := rep.Plan
	for _, c := range p.Changes {
		fmt.Fprintf(w, "%s %s\n%s", c.Action, c.Name, c.Diff)
	}
	if rep.ServiceFile != "" && len(p.Changes) == 0 {
		fmt.Fprintf(w, "service file settings changed (no unit change):\n%s", rep.ServiceFile)
	}
	if rep.StagedRelease != nil {
		fmt.Fprintf(w, "staged release %s\n", rep.StagedRelease.Version)
	}
	verb := map[bool]string{true: "would ", false: ""}[rep.DryRun]
	for _, u := range p.Stop {
		fmt.Fprintf(w, "%sstop and remove %s\n", verb, u)
	}
	for _, u := range p.Start {
		fmt.Fprintf(w, "%sstart %s\n", verb, u)
	}
	if len(p.NeedsRestart) > 0 {
		fmt.Fprintf(w, "\n%d running instance(s) still run the old unit definition (%s).\nRoll the change out without downtime: sysroll restart %s\n",
			len(p.NeedsRestart), strings.Join(p.NeedsRestart, ", "), rep.Service)
	}
	if p.SocketChanged {
		fmt.Fprintf(w, "\n%s.socket changed. Restarting a socket refuses connections while it is down; do it in a quiet moment: systemctl restart %s.socket\n", rep.Service, rep.Service)
	}
	if rep.DryRun {
		fmt.Fprintln(w, "(dry run: nothing changed)")
	}
	return nil
}

func newUninstallCmd(g *globals) *cobra.Command {
	var purge bool
	cmd := &cobra.Command{
		Use:   "uninstall NAME",
		Short: "Stop every instance and remove the service's units",
		Long: `Stop the instances, the group and the socket, disable and remove the unit
files and reload systemd. Releases and rollout history are kept (so a later
apply can come back) unless --purge is given.`,
		Example: `  sysroll uninstall hello
  sysroll uninstall hello --purge`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			dir, err := g.uninstallDir(args[0], purge)
			if err != nil {
				return err
			}
			unitDir, err := g.unitDirectory()
			if err != nil {
				return err
			}
			m, err := g.connect(ctx)
			if err != nil {
				return err
			}
			defer m.Close()
			in := &install.Installer{Manager: m, UnitDir: unitDir, StateDir: dir}
			if err := in.Uninstall(ctx, args[0], purge); err != nil {
				return fmt.Errorf("uninstall %s: %w", args[0], err)
			}
			if !purge {
				if err := os.Remove(filepath.Join(dir, appliedServiceFile)); err != nil && !os.IsNotExist(err) {
					return err
				}
			}
			fmt.Fprintf(g.stdout, "%s: uninstalled%s\n", args[0], map[bool]string{true: " and purged", false: " (releases and history kept; --purge removes them)"}[purge])
			return nil
		},
	}
	cmd.Flags().BoolVar(&purge, "purge", false, "also delete releases and rollout history")
	return cmd
}
