package cli

import (
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/schema"
)

func TestPrintPlanAnalysis(t *testing.T) {
	var b strings.Builder
	printPlanAnalysis(&b, schema.PlanBatch{Instances: []schema.PlanInstance{{Name: "8081"}}, PauseAfterSeconds: 60,
		Analysis: &schema.PlanAnalysis{Baseline: []string{"8082", "8083"}, InitialDelaySeconds: 30, IntervalSeconds: 10, Count: 6, DuringPause: true,
			Metrics: []schema.PlanMetric{{Name: "errors", Kind: "ratio", Bounds: []string{"max 0.01", "vs_baseline"}}, {Name: "smoke", Kind: "exec", Bounds: []string{"exit 0"}}}}})
	printPlanAnalysis(&b, schema.PlanBatch{Instances: []schema.PlanInstance{{Name: "8082"}, {Name: "8083"}},
		Analysis: &schema.PlanAnalysis{InitialDelaySeconds: 30, IntervalSeconds: 10, Count: 6,
			Metrics: []schema.PlanMetric{{Name: "p99", Kind: "value", Bounds: []string{}}}}})
	printPlanAnalysis(&b, schema.PlanBatch{})
	want := `    analysis: canary 8081 against baseline 8082, 8083, 6 measurements 10s apart after 30s: errors (ratio: max 0.01, vs_baseline); smoke (exec: exit 0)
    analysis during the pause after it: every 10s, a failed round fails the pause
    analysis: canary 8082, 8083 against no baseline (absolute bounds only), 6 measurements 10s apart after 30s: p99 (value: no bound applies)
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}
