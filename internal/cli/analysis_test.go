package cli

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/analysis"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
)

// Each measurement is one line with the verdict word first; the batch's
// outcome is one more; other events are not analysis lines.
func TestAnalysisLines(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	v := analysis.Verdict{Metric: "errors", Outcome: analysis.Fail, Canary: 0.05, Baseline: 0.001, Bound: 0.03, P: math.NaN(),
		Reason: "errors: canary 25 of 500 = 0.05 above max 0.03"}
	var b bytes.Buffer
	p := &textProgress{w: &b}
	for _, e := range []rollout.Event{
		{Type: rollout.EventRolloutStart, Time: t0, Batch: -1, Message: "deploy hello"},
		{Type: rollout.EventAnalysisStart, Time: t0, Message: "analysis of canary 8081 against baseline 8082: 3 measurements 2s apart after 3s"},
		{Type: rollout.EventAnalysis, Time: t0.Add(3 * time.Second), Message: v.Reason, Verdict: &v},
		{Type: rollout.EventAnalysisVerdict, Time: t0.Add(3 * time.Second), Message: "batch 1 analysis failed: 1 failed measurements (failure_limit 0)"},
	} {
		p.Event(e)
	}
	want := `[  0.0s] deploy hello
[  0.0s] analysis: analysis of canary 8081 against baseline 8082: 3 measurements 2s apart after 3s
[  3.0s] analysis FAIL         errors: canary 25 of 500 = 0.05 above max 0.03
[  3.0s] batch 1 analysis failed: 1 failed measurements (failure_limit 0)
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	if _, ok := analysisLine(rollout.Event{Type: rollout.EventPhase}); ok {
		t.Error("a phase event made an analysis line")
	}
}

func TestAnalysisSummary(t *testing.T) {
	rec := &release.Record{Analysis: []release.BatchAnalysis{
		{Batch: 0, Outcome: "failed", Reason: "errors above max", Canary: []string{"8081"}, Baseline: []string{"8082", "8083"}, Measured: 2},
		{Batch: 1, Outcome: "passed", Reason: "every metric within bounds", Canary: []string{"8082", "8083"}, Measured: 3},
	}}
	got := strings.Join(analysisSummary(rec), "\n")
	want := "batch 1 analysis failed (canary 8081 vs baseline 8082,8083, 2 measurements): errors above max\n" +
		"batch 2 analysis passed (canary 8082,8083 vs no baseline, 3 measurements): every metric within bounds"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
