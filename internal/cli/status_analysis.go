package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/sysroll/sysroll/internal/host"
	"github.com/sysroll/sysroll/internal/release"
)

// printStatusAnalysis appends to `sysroll status NAME` the analysis verdicts
// of the newest rollout, a line per batch (and per pause analysed): why the
// last deploy stopped, or that it passed, without a trip to history.
// Nothing when the newest rollout had no analysis. A history that cannot be
// read is `sysroll history`'s to report: status must not fail for it.
func printStatusAnalysis(ctx context.Context, g *globals, service string) {
	hist, err := g.host().History(ctx, host.HistoryOptions{Service: service, Limit: 1})
	if err != nil || len(hist.Rollouts) == 0 {
		return
	}
	writeStatusAnalysis(g.stdout, &hist.Rollouts[0])
}

func writeStatusAnalysis(w io.Writer, rec *release.Record) {
	if len(rec.Analysis) == 0 {
		return
	}
	fmt.Fprintf(w, "analysis of the newest rollout %s (%s %s -> %s, %s):\n", rec.ID, rec.Kind, dash(rec.From), dash(rec.To), dash(string(rec.Result)))
	for _, l := range analysisSummary(rec) {
		fmt.Fprintf(w, "  %s\n", l)
	}
}
