package analysis_test

import (
	"fmt"
	"time"

	"github.com/sysroll/sysroll/internal/analysis"
)

// The engine's loop for one batch, with the measurements a provider would
// take: judge each metric's canary against its baseline, fold the verdicts,
// stop early on failure, finish when the count is reached.
func Example() {
	o := analysis.Options{
		Count: 3,
		Metrics: []analysis.Metric{{
			Name:       "errors",
			Errors:     `sum(increase(hello_requests_total{instance=~"{instances}",code=~"5.."}[{window}]))`,
			Total:      `sum(increase(hello_requests_total{instance=~"{instances}"}[{window}]))`,
			VsBaseline: &analysis.VsBaseline{MaxRatio: 2, MaxDelta: 0.002},
		}},
		Prometheus: &analysis.PrometheusOptions{Address: "http://127.0.0.1:9090", InstanceLabel: "127.0.0.1:{port}"},
	}.WithDefaults()
	if err := o.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	// What three measurements 10 s apart saw: canary errors and total, then
	// the baseline's.
	seen := [][4]float64{{0, 60, 0, 180}, {3, 130, 0, 390}, {9, 200, 1, 600}}
	run := analysis.NewRun([]string{"errors"}, o.Limits())
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for i, s := range seen {
		c := analysis.Measurement{Metric: "errors", Set: analysis.Canary, At: at, Counts: &analysis.Counts{Events: s[0], Exposure: s[1]}}
		b := analysis.Measurement{Metric: "errors", Set: analysis.Baseline, At: at, Counts: &analysis.Counts{Events: s[2], Exposure: s[3]}}
		v := analysis.Judge(o.Metrics[0], c, &b)
		fmt.Printf("%d: %s: %s\n", i+1, v.Outcome, v.Reason)
		run.Add(v)
		if run.Verdict().Outcome == analysis.Failed {
			break
		}
		at = at.Add(o.Interval)
	}
	bv := run.Finish()
	fmt.Printf("batch %s: %s\n", bv.Outcome, bv.Reason)
	// Output:
	// 1: inconclusive: errors: canary 0 of 60: total 60 below min_total 100
	// 2: pass: errors: canary 3 of 130 = 0.02308, baseline 0 of 390 = 0, bound max(2 × baseline, baseline + 0.002) = 0.002: above, but not significant (p = 0.0640 ≥ 0.01)
	// 3: fail: errors: canary 9 of 200 = 0.045, baseline 1 of 600 = 0.001667, bound max(2 × baseline, baseline + 0.002) = 0.003667: above, and significant (p = 0.0017 < 0.01)
	// batch failed: 1 failed measurements (failure_limit 0); last: errors: canary 9 of 200 = 0.045, baseline 1 of 600 = 0.001667, bound max(2 × baseline, baseline + 0.002) = 0.003667: above, and significant (p = 0.0017 < 0.01)
}
