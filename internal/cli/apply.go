package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sysroll/sysroll/internal/host"
	"github.com/sysroll/sysroll/internal/release"
)

func newApplyCmd(g *globals) *cobra.Command {
	var dryRun, noWait bool
	var artifact, version, as string
	cmd := &cobra.Command{
		Use:   "apply FILE",
		Short: "Install or update a service's units and converge its instances",
		Long: `Render FILE and install the units: NAME@.service, NAME.target (Wants= on
every instance, never Requires=) and NAME.socket when a shared socket is set,
NAME.agent.socket and NAME.agent@.service with rollout.haproxy_agent (HAProxy's
agent-check, answered by this sysroll binary: docs/haproxy-fleet.md); enable
the group and start the instances.

apply is idempotent: applying the same file again writes nothing, does no
daemon-reload and restarts nothing ("no changes"). A changed file shows a diff
(--dry-run shows it and stops). An added instance is started on its own, a
removed one stopped and removed. A change that needs the running instances
restarted is installed but NOT carried out by restarting them all: apply says
so, and ` + "`sysroll restart NAME`" + ` rolls it out one gated batch at a time.

The first apply needs --artifact: the release the instances start on. Later
releases come with ` + "`sysroll deploy`" + `.

apply then waits for every instance it started to pass the same health gate
as a rollout step: running (for Type=notify, READY=1 sent), its probes
passing, and still so after health.healthy_for, all within health.deadline.
It exits 0 only when each of them passed. One that crashes (a crash loop is
caught at its first restart), never gets ready or falls unhealthy is shown
with why and its last journal lines, and apply exits 1; the units stay
installed, and the release is not marked good. Instances that were already
running are not restarted and not checked (` + "`sysroll status`" + ` does that).
--no-wait returns as soon as systemd has started the instances, as apply did
before it waited: a script that does its own checking gets exit 0 once the
start jobs are done (and a first release counts as known-good then, as it
did).

Before starting an instance whose name is a port (and the listen: socket
before its first start), apply checks that nothing else listens on that TCP
port, on any address, and refuses before anything is changed, naming the
process (PID, command) and its systemd unit.

Exit status: 0 installed and every started instance healthy; 1 an instance
failed its start or its health gate (the units stay installed), a port is
in use (nothing changed), or systemd failed; 2 bad usage or a bad service
file or artifact (nothing changed).`,
		Example: `  sysroll apply hello.yaml --artifact ./hello --version v1
  sysroll apply hello.yaml --dry-run
  sysroll apply hello.yaml --no-wait && my-own-health-check
  sysroll apply hello.yaml --json | jq '.waited[] | select(.healthy | not)'
  sysroll apply hello.yaml --user`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("as") {
				if artifact == "" {
					return usagef("--as names the binary given with --artifact: give --artifact too")
				}
				if err := release.ValidAs(as); err != nil {
					return usagef("%w", err)
				}
			}
			opts := host.ApplyOptions{File: args[0], Artifact: artifact, Version: version, As: as, DryRun: dryRun, NoWait: noWait}
			printed := false
			if !g.json {
				// What changed is shown before the wait, the wait as it goes.
				opts.Applied = func(rep *host.ApplyReport) { printed = true; _ = printApply(g, rep) }
				opts.Progress = func(ev host.WaitEvent) { printWait(g.stdout, ev) }
			}
			rep, err := g.host().Apply(cmd.Context(), opts)
			// A report comes with a failed gate (the units are in, the
			// results are data); other failures are said by err alone.
			_, gateFailed := errors.AsType[*host.GateError](err)
			if rep != nil && (err == nil || gateFailed) && (g.json || !printed) {
				if perr := printApply(g, rep); perr != nil && err == nil {
					return perr
				}
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show what would change, change nothing")
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "return once systemd has started the instances, without waiting for their health gate")
	cmd.Flags().StringVar(&artifact, "artifact", "", "the first release (binary, directory or .tar.gz), needed when an instance has none yet")
	cmd.Flags().StringVar(&version, "version", "", "name of that release (default: a short sha256)")
	cmd.Flags().StringVar(&as, "as", "", "the file name a single-binary artifact gets in the release: the one the command runs (e.g. --as hello for {release}/hello)")
	return cmd
}

func printApply(g *globals, rep *host.ApplyReport) error {
	if g.json {
		return json.NewEncoder(g.stdout).Encode(rep)
	}
	printWarnings(g, rep.Warnings)
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
apply can come back) unless --purge is given.

The instances' own data is the application's, not sysroll's, and is kept
even with --purge: each instance's state directory (/var/lib/NAME/INSTANCE,
under /var/lib/private with the default dynamic user; also its HOME) and
cache directory (/var/cache/NAME/INSTANCE). To remove it, while the unit is
still installed: systemctl stop NAME@INSTANCE.service, then
systemctl clean --what=state --what=cache NAME@INSTANCE.service; or delete
the directories by hand after uninstalling.`,
		Example: `  sysroll uninstall hello
  sysroll uninstall hello --purge`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.host().Uninstall(cmd.Context(), host.UninstallOptions{Service: args[0], Purge: purge,
				Warn: func(msg string) { fmt.Fprintln(g.stderr, "sysroll: warning: "+msg) }}); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "%s: uninstalled%s\n", args[0], map[bool]string{true: " and purged", false: " (releases and history kept; --purge removes them)"}[purge])
			return nil
		},
	}
	cmd.Flags().BoolVar(&purge, "purge", false, "also delete releases and rollout history")
	return cmd
}

// printWarnings puts each warning on stderr, where it is seen without
// spoiling the output a script reads; --json carries them in the report.
func printWarnings(g *globals, warnings []string) {
	for _, w := range warnings {
		fmt.Fprintln(g.stderr, "sysroll: warning: "+w)
	}
}
