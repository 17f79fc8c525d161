package cli

import (
	"fmt"
	"strings"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
)

// analysisLine is the one line a person reads for an analysis event: the
// schedule at the start, then per measurement the verdict word and its
// reason (the metric, both values, the bound, the p-value), then the
// batch's outcome. ok is false for other events.
func analysisLine(e rollout.Event) (line string, ok bool) {
	switch e.Type {
	case rollout.EventAnalysisStart:
		return "analysis: " + e.Message, true
	case rollout.EventAnalysis:
		if e.Verdict == nil {
			return "analysis: " + e.Message, true
		}
		return fmt.Sprintf("analysis %-12s %s", strings.ToUpper(string(e.Verdict.Outcome)), e.Verdict.Reason), true
	case rollout.EventAnalysisVerdict:
		return e.Message, true
	}
	return "", false
}

// analysisSummary is the record's analyses, a line per batch, for history.
func analysisSummary(rec *release.Record) []string {
	var out []string
	for _, a := range rec.Analysis {
		bl := "no baseline"
		if len(a.Baseline) > 0 {
			bl = "baseline " + strings.Join(a.Baseline, ",")
		}
		what := fmt.Sprintf("batch %d analysis", a.Batch+1)
		if a.During != "" {
			what = fmt.Sprintf("analysis during the %s after batch %d", a.During, a.Batch+1)
		}
		out = append(out, fmt.Sprintf("%s %s (canary %s vs %s, %d measurements): %s",
			what, a.Outcome, strings.Join(a.Canary, ","), bl, a.Measured, a.Reason))
	}
	return out
}
