package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sysroll/sysroll/internal/host"
	"github.com/sysroll/sysroll/internal/release"
)

func newHistoryCmd(g *globals) *cobra.Command {
	var limit int64
	var fleet string
	cmd := &cobra.Command{
		Use:   "history NAME",
		Short: "List every rollout of a service: when, from -> to, who, result, per instance",
		Example: `  sysroll history hello
  sysroll history hello --json | jq '.[0].instances'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := host.HistoryOptions{Service: args[0], Limit: int(limit)}
			if fleet != "" && limit >= 0 {
				opts.Limit = 0 // the limit counts the fleet's rollouts
			}
			hist, err := g.host().History(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if fleet != "" {
				hist.Rollouts = ofFleet(hist.Rollouts, fleet, int(limit))
			}
			if g.json {
				return json.NewEncoder(g.stdout).Encode(hist)
			}
			recs := hist.Rollouts
			if len(recs) == 0 {
				g.println("no rollouts yet")
				return nil
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTARTED\tKIND\tFROM -> TO\tBY\tRESULT\tTOOK\tINSTANCES")
			for _, r := range recs {
				took := "-"
				if !r.Ended.IsZero() {
					took = r.Ended.Sub(r.Started).Round(100 * time.Millisecond).String()
				}
				var parts []string
				for _, in := range r.Instances {
					parts = append(parts, in.Name+":"+string(in.Phase))
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s -> %s\t%s\t%s\t%s\t%s\n", r.ID, r.Started.Local().Format(time.DateTime), r.Kind,
					dash(r.From), dash(r.To), r.User, r.Result, took, strings.Join(parts, " "))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			// Why rollouts failed: the decision, then each instance's own
			// error (the decision alone says which failed, not why).
			for _, r := range recs {
				var errs []string
				for _, in := range r.Instances {
					if in.Error != "" {
						errs = append(errs, fmt.Sprintf("  %s: %s", in.Name, firstLine(in.Error)))
					}
				}
				an := analysisSummary(&r)
				if (r.Reason == "" || r.Result == release.ResultSucceeded) && len(errs) == 0 && len(an) == 0 {
					continue
				}
				fmt.Fprintf(g.stdout, "%s: %s\n", r.ID, dash(r.Reason))
				for _, e := range errs {
					fmt.Fprintln(g.stdout, e)
				}
				for _, a := range an {
					fmt.Fprintln(g.stdout, "  "+a)
				}
			}
			printPauses(g.stdout, recs)
			return nil
		},
	}
	cmd.Flags().VarP(newDecimalFlag(&limit, 20), "limit", "n", "show at most this many rollouts, newest first (0: all; a negative count is refused)")
	registerFleetID(cmd, &fleet)
	cmd.Flag("fleet").Usage = "show only the rollouts of fleet rollout `ID` (their fleet_id)"
	return cmd
}

// ofFleet keeps the records of fleet id, at most limit (0: all) of them.
func ofFleet(recs []release.Record, id string, limit int) []release.Record {
	out := []release.Record{}
	for _, r := range recs {
		if r.FleetID == id && (limit == 0 || len(out) < limit) {
			out = append(out, r)
		}
	}
	return out
}
