package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sysroll/sysroll/internal/host"
	"github.com/sysroll/sysroll/internal/release"
)

func newAdoptCmd(g *globals) *cobra.Command {
	var o host.AdoptOptions
	var output string
	cmd := &cobra.Command{
		Use:   "adopt UNIT...",
		Short: "Migrate hand-written instance units (my-service-1.service, ...) onto one sysroll service",
		Long: `Read hand-written instance units (paths, or names in the unit dir) that run
the same command on different ports, propose the service file, and cut the
instances over one at a time, without touching the others.

The proposal: the name is the units' common prefix (or --name); command is
ExecStart with the binary as {release}/BINARY and the one argument that
differs between the units, a port, as {port}; instances are the ports;
Type=simple becomes type: exec (systemd does not wait for readiness either
way, but a binary that cannot run fails the start); TimeoutStopSec= and
RestartSec= become stop_timeout and restart_sec as the author meant them
("RestartSec=2  # comment", which systemd ignores, is 2s, with a note);
Environment=, EnvironmentFile=, WorkingDirectory=, User= carry over. A unit
with no ExecStart= (the guide's group unit) is not an instance: it is left
untouched (remove it afterwards). Units that do not map are refused (exit 2),
each problem named.

The first release is the binary the units run, staged as a single-binary
release under its own name (so {release}/BINARY); give --artifact (a directory
or .tar.gz) when it needs files next to it.

Each instance, in an order where a unit another one Requires= comes last (so
stopping it takes no old unit down with it): drain (when the service file has
rollout.haproxy or hooks), stop and disable the old unit and move its file to
STATE/NAME/adopted/, start NAME@PORT.service on the first release, gate it
(ready + healthy_for within deadline, as a rollout), undrain, next. Without a
balancer, the time each port refused connections is printed. A failed gate
stops the new instance, puts the old unit back (file, enabled state,
started, checked) and exits 1; instances cut over before stay on sysroll, and
running adopt again continues (so does a run after a kill). At the end the
service is installed as ` + "`sysroll apply`" + ` would; the old unit files stay in
adopted/ for reference.

--dry-run prints the proposal and the plan and changes nothing; with
--output FILE it also writes the proposal there to edit (add a balancer, an
http health check) and use with --file FILE.`,
		Example: `  sysroll adopt my-service-1.service my-service-2.service my-service-group.service --dry-run --output my-service.yaml
  sysroll adopt my-service-1.service my-service-2.service --file my-service.yaml
  sysroll adopt /etc/systemd/system/app-{1,2,3}.service --name app --artifact ./app-dir`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("as") {
				if o.Artifact == "" {
					return usagef("--as names the binary given with --artifact: give --artifact too")
				}
				if err := release.ValidAs(o.As); err != nil {
					return usagef("%w", err)
				}
			}
			if output != "" && o.File != "" {
				return usagef("--output writes the proposal; with --file you have a service file already")
			}
			o.Units = args
			progress := g.stdout
			if g.json {
				progress = g.stderr
			}
			o.Progress = func(line string) { fmt.Fprintln(progress, "adopt: "+line) }
			rep, err := g.host().Adopt(cmd.Context(), o)
			if rep != nil && output != "" {
				if werr := writeNew(output, rep.ServiceFile); werr != nil {
					return errors.Join(err, werr)
				}
			}
			if rep == nil || (err != nil && rep.DryRun) {
				return err
			}
			if err != nil {
				if !g.json {
					printWindows(g, rep)
				}
				return err
			}
			return printAdopt(g, rep, output)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Name, "name", "", "the service's name (default: the units' common name prefix, e.g. my-service)")
	f.StringVar(&o.File, "file", "", "use this service file instead of the proposal (e.g. the proposal edited to add rollout.haproxy); its instances must be the units' ports")
	f.StringVar(&output, "output", "", "write the proposed service file to FILE (refused if it exists)")
	f.StringVar(&o.Artifact, "artifact", "", "the first release (binary, directory or .tar.gz); default: the binary the units run")
	f.StringVar(&o.Version, "version", "", "name of that release (default: a short sha256)")
	f.StringVar(&o.As, "as", "", "the file name a single-binary --artifact gets in the release (the one the command runs)")
	f.BoolVar(&o.DryRun, "dry-run", false, "print the proposal and the cutover plan, change nothing")
	return cmd
}

// writeNew writes a file that must not exist yet.
func writeNew(path, content string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return usagef("--output %s exists: give a new file name (or edit it and pass it with --file)", path)
	}
	if err != nil {
		return usagef("--output: %w", err)
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

func printAdopt(g *globals, rep *host.AdoptReport, output string) error {
	if g.json {
		return json.NewEncoder(g.stdout).Encode(rep)
	}
	w := g.stdout
	if rep.DryRun {
		fmt.Fprintf(w, "proposed service file for %s:\n%s\n", rep.Service, indent(rep.ServiceFile))
		for _, s := range rep.Proposal.Skipped {
			fmt.Fprintf(w, "skipped %s: %s\n", s.Unit, s.Reason)
		}
		fmt.Fprintf(w, "plan: first release from %s; balancer: %s; old unit files kept in %s\n", rep.Artifact, rep.Balancer, rep.Backup)
		for i, in := range rep.Order {
			why := ""
			if len(in.Requires) > 0 {
				why = " (before " + strings.Join(in.Requires, ", ") + ", which it Requires=)"
			}
			fmt.Fprintf(w, "  %d. %d: drain, stop and disable %s, start %s@%d.service, gate, undrain%s\n", i+1, in.Port, in.Unit, rep.Service, in.Port, why)
		}
		if output != "" {
			fmt.Fprintf(w, "wrote the proposal to %s\n", output)
		}
		fmt.Fprintln(w, "(dry run: nothing changed)")
		return nil
	}
	printWindows(g, rep)
	fmt.Fprintf(w, "%s: adopted %d instance(s) on release %s; the old unit files are in %s\n", rep.Service, len(rep.Order), rep.Release, rep.Backup)
	return nil
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}

// printWindows prints each port's measured refused window.
func printWindows(g *globals, rep *host.AdoptReport) {
	for _, win := range rep.Windows {
		fmt.Fprintf(g.stdout, "%d: not accepting for %.2f s\n", win.Port, win.Seconds)
	}
}
