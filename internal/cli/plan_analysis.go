package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/sysroll/sysroll/internal/schema"
)

// printPlanAnalysis prints, under a batch of a --dry-run plan, the analysis
// it would get: the schedule, the baseline (or that there is none, and so
// only absolute bounds), each metric with the bounds that apply, and
// whether the pause after it measures too. Nothing without an analysis.
func printPlanAnalysis(w io.Writer, b schema.PlanBatch) {
	a := b.Analysis
	if a == nil {
		return
	}
	var canary []string
	for _, in := range b.Instances {
		canary = append(canary, in.Name)
	}
	against := "no baseline (absolute bounds only)"
	if len(a.Baseline) > 0 {
		against = "baseline " + strings.Join(a.Baseline, ", ")
	}
	var ms []string
	for _, m := range a.Metrics {
		bounds := strings.Join(m.Bounds, ", ")
		if bounds == "" {
			bounds = "no bound applies"
		}
		ms = append(ms, fmt.Sprintf("%s (%s: %s)", m.Name, m.Kind, bounds))
	}
	fmt.Fprintf(w, "    analysis: canary %s against %s, %d measurements %s apart after %s: %s\n",
		strings.Join(canary, ", "), against, a.Count, seconds(a.IntervalSeconds), seconds(a.InitialDelaySeconds), strings.Join(ms, "; "))
	if a.DuringPause {
		fmt.Fprintf(w, "    analysis during the pause after it: every %s, a failed round fails the pause\n", seconds(a.IntervalSeconds))
	}
}
