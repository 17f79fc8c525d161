package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sysroll/sysroll/internal/fleet/controller"
)

func newFleetHistoryCmd(g *globals) *cobra.Command {
	var f fleetConnFlags
	var limit int64
	cmd := &cobra.Command{
		Use:   "history FILE",
		Short: "List the rollouts of every host of the fleet, fleet rollouts grouped",
		Long: `Query every host FILE lists, in parallel, with ` + "`sysroll history NAME --json`" + `
(this build at its content-addressed path, copied where missing), and print
one table: a row per host rollout, newest first, the hosts' parts of one
fleet rollout together under its fleet ID (local rollouts show "-").

-n N (--rollouts N) is each host's newest N rollouts (default 20, 0: all), as
` + "`sysroll history -n`" + `; --limit is the hosts, as in every fleet verb. A host that
cannot be reached is listed after the table (the connect is bounded by 5 s).
Exit 1 when a host could not be read, 0 otherwise, 2 on bad usage.
--json prints one document (schema sysroll.fleet-history/v1): the engine's
history, each rollout record with its "host", and "unreachable".`,
		Example: `  sysroll fleet history hello.yaml
  sysroll fleet history hello.yaml -n 5 --json | jq '.rollouts[] | select(.fleet_id != null)'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit < 0 {
				return usagef("-n %d: a negative count of rollouts (0 shows them all)", limit)
			}
			t, err := openFleet(fleetOpen{file: args[0], limit: f.limit, sshConfig: f.sshConfig, agentBinary: f.agentBinary,
				acceptNew: f.acceptNew, local: "history", quick: true, warn: func(msg string) { fmt.Fprintln(g.stderr, "warning: "+msg) }})
			if err != nil {
				return err
			}
			defer t.Close()
			hs := make([]controller.HistoryHost, len(t.hosts))
			for i, h := range t.hosts {
				hs[i] = h
			}
			fh := controller.History(cmd.Context(), hs, controller.HistoryOptions{Service: t.svc.Name, Limit: int(limit)})
			if g.json {
				if err := json.NewEncoder(g.stdout).Encode(fh); err != nil {
					return err
				}
			} else {
				printFleetHistory(g.stdout, fh)
			}
			if len(fh.Unreachable) > 0 {
				return silentError{ExitFailed}
			}
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().VarP(newDecimalFlag(&limit, 20), "rollouts", "n", "show at most this many rollouts per host, newest first (0: all; a negative count is refused)")
	return cmd
}

// printFleetHistory is the table (a fleet rollout's rows together, Merge's
// order), then the hosts not read.
func printFleetHistory(w io.Writer, fh *controller.FleetHistory) {
	if len(fh.Rollouts) == 0 {
		fmt.Fprintln(w, "no rollouts yet")
	} else {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "FLEET\tHOST\tID\tSTARTED\tKIND\tFROM -> TO\tBY\tRESULT\tTOOK")
		for _, r := range fh.Rollouts {
			took := "-"
			if !r.Ended.IsZero() {
				took = r.Ended.Sub(r.Started).Round(100 * time.Millisecond).String()
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s -> %s\t%s\t%s\t%s\n", dash(r.FleetID), r.Host, r.ID,
				r.Started.Local().Format(time.DateTime), r.Kind, dash(r.From), dash(r.To), r.User, r.Result, took)
		}
		tw.Flush()
	}
	for _, u := range fh.Unreachable {
		fmt.Fprintf(w, "%s: UNREACHABLE: %s\n", u.Host, oneLine(u.Error, 300))
	}
	if n := len(fh.Unreachable); n > 0 {
		var names []string
		for _, u := range fh.Unreachable {
			names = append(names, u.Host)
		}
		fmt.Fprintf(w, "%s: history incomplete: %d host%s not read (%s)\n", fh.Service, n, map[bool]string{true: "", false: "s"}[n == 1], strings.Join(names, ", "))
	}
}
