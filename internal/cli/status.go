package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sysroll/sysroll/internal/host"
	"github.com/sysroll/sysroll/internal/schema"
)

func newStatusCmd(g *globals) *cobra.Command {
	var noProbe bool
	cmd := &cobra.Command{
		Use:   "status [NAME]",
		Short: "Show every instance of a service at a glance (or list the services)",
		Long: `Show one row per instance: unit, state, main PID, the release it runs,
health, uptime and automatic restarts, then a summary for the group. Mixed
releases (after a halted rollout) and an interrupted rollout are flagged.

Without NAME, list every service sysroll manages here.

Health is systemd's own view (active and, for Type=notify, READY=1 sent)
plus one run of the service's probes; --no-probe skips the probes.

Exit status, for scripts (also with --json):
  0  every instance is healthy and no rollout was interrupted (mixed
     releases and quarantined state files are shown but count as well)
  1  an instance is unhealthy or down, or a rollout was interrupted
  2  bad usage, or NAME is not installed
Without NAME the same rule holds over every service, judged without
probes (systemd's state only).`,
		Example: `  sysroll status hello
  sysroll status hello --json | jq '.instances[] | select(.health != "healthy")'
  until sysroll status hello >/dev/null; do sleep 1; done   # wait until all healthy`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				all, err := g.host().List(cmd.Context())
				if err != nil {
					return err
				}
				if err := printServices(g, all); err != nil {
					return err
				}
				for _, st := range all.Services {
					if len(host.StatusProblems(st)) > 0 {
						return silentError{ExitFailed}
					}
				}
				return nil
			}
			st, err := g.host().Status(cmd.Context(), host.StatusOptions{Service: args[0], NoProbe: noProbe})
			if err != nil {
				return err
			}
			if g.json {
				if err := json.NewEncoder(g.stdout).Encode(st); err != nil {
					return err
				}
			} else {
				printStatus(g.stdout, st)
				printStatusAnalysis(cmd.Context(), g, args[0]) // status_analysis.go
			}
			// The table (or the JSON) says what is wrong; the code is
			// for scripts.
			if len(host.StatusProblems(st)) > 0 {
				return silentError{ExitFailed}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&noProbe, "no-probe", false, "do not run the health probes; report systemd's state only")
	return cmd
}

func printStatus(w io.Writer, st *schema.Status) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "INSTANCE\tUNIT\tSTATE\tPID\tRELEASE\tHEALTH\tUPTIME\tRESTARTS")
	for _, r := range st.Instances {
		pid := "-"
		if r.PID != 0 {
			pid = fmt.Sprint(r.PID)
		}
		rel := r.Release
		if rel == "" {
			rel = "-"
		}
		if r.SwitchedTo != "" {
			rel += " (next start: " + r.SwitchedTo + ")"
		}
		up := "-"
		if r.UptimeSec > 0 || r.ActiveState == "active" {
			up = (time.Duration(r.UptimeSec) * time.Second).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s/%s\t%s\t%s\t%s\t%s\t%d\n", r.Instance, r.Unit, r.ActiveState, r.SubState, pid, rel, r.Health, up, r.Restarts)
	}
	tw.Flush()
	for _, r := range st.Instances {
		if r.HealthNote != "" {
			fmt.Fprintf(w, "%s: %s\n", r.Instance, r.HealthNote)
		}
	}
	fmt.Fprintf(w, "\n%s: %d/%d running, %d healthy; group %s", st.Service, st.Running, len(st.Instances), st.Healthy, st.Target)
	if st.Socket != "" {
		fmt.Fprintf(w, ", socket %s", st.Socket)
	}
	fmt.Fprintln(w)
	if len(st.Relaxations) > 0 {
		fmt.Fprintln(w, "relaxed sandbox (from the service file):")
		for _, r := range st.Relaxations {
			fmt.Fprintf(w, "  %s: %s (%s)\n", r.Field, r.Value, r.Note)
		}
	}
	if st.Mixed {
		var parts []string
		for rel, n := range st.Releases {
			parts = append(parts, fmt.Sprintf("%s on %d", rel, n))
		}
		sort.Strings(parts)
		fmt.Fprintf(w, "MIXED RELEASES: %s\n", strings.Join(parts, ", "))
	}
	if r := st.Paused; r != nil {
		printPaused(w, r)
	}
	if r := st.Interrupted; r != nil {
		fmt.Fprintf(w, "INTERRUPTED ROLLOUT %s (%s %s -> %s, started %s): %s\n  finish it with `sysroll deploy %s --resume` or undo it with `sysroll rollback %s`\n",
			r.ID, r.Kind, r.From, r.To, r.Started.Format(time.DateTime), r.Reason, st.Service, st.Service)
	}
	if len(st.Quarantined) > 0 {
		fmt.Fprintf(w, "QUARANTINED: %d corrupt state file(s) moved aside; sysroll ignores them (look, then remove them):\n", len(st.Quarantined))
		for _, q := range st.Quarantined {
			fmt.Fprintf(w, "  %s %s, moved %s to %s: %s\n", q.What, q.Original, q.When.Local().Format(time.DateTime), q.Path, q.Reason)
		}
	}
}

func printServices(g *globals, all *schema.Services) error {
	if g.json {
		return json.NewEncoder(g.stdout).Encode(all)
	}
	if len(all.Services) == 0 {
		fmt.Fprintln(g.stdout, "no services managed by sysroll here (install one with `sysroll apply FILE`)")
		return nil
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tRUNNING\tRELEASES\tGROUP\tNOTE")
	for _, st := range all.Services {
		var rels []string
		for r := range st.Releases {
			rels = append(rels, r)
		}
		sort.Strings(rels)
		note := ""
		if n := len(st.Relaxations); n > 0 {
			note = fmt.Sprintf("sandbox relaxed (%d)", n)
		}
		if st.Mixed {
			note = "mixed releases"
		}
		if st.Interrupted != nil {
			note = "interrupted rollout " + st.Interrupted.ID
		}
		if st.Paused != nil {
			note = "paused rollout " + st.Paused.ID
		}
		if n := len(st.Quarantined); n > 0 {
			note = strings.TrimPrefix(note+fmt.Sprintf("; %d quarantined file(s)", n), "; ")
		}
		fmt.Fprintf(tw, "%s\t%d/%d\t%s\t%s\t%s\n", st.Service, st.Running, len(st.Instances), strings.Join(rels, ","), st.Target, note)
	}
	return tw.Flush()
}
