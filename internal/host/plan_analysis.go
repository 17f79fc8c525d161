package host

import (
	"fmt"

	"github.com/sysroll/sysroll/internal/analysis"
	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/schema"
)

// planAnalysis adds to p (a --dry-run plan) the analysis each batch of a
// deploy would get: its baseline (the instances of later batches not on the
// target yet, as the record's pending instances would be), the metrics and
// the bounds that apply there, and whether the pause after it measures too.
// It touches nothing and asks no provider: the preflight does, at deploy.
func planAnalysis(p *schema.Plan, svc *config.Service, spec rollout.Spec) {
	if svc.Analysis == nil || (spec.Kind != "" && spec.Kind != release.KindDeploy) {
		return
	}
	o := svc.Analysis.Options()
	for i := range p.Batches {
		baseline := []string{}
		for _, later := range p.Batches[i+1:] {
			for _, in := range later.Instances {
				if in.Current != "" && in.Current != spec.Target {
					baseline = append(baseline, in.Name)
				}
			}
		}
		pa := &schema.PlanAnalysis{Baseline: baseline, InitialDelaySeconds: o.InitialDelay.Seconds(),
			IntervalSeconds: o.Interval.Seconds(), Count: o.Count, DuringPause: p.Batches[i].PauseAfterSeconds > 0}
		for _, m := range o.Metrics {
			pa.Metrics = append(pa.Metrics, schema.PlanMetric{Name: m.Name, Kind: string(m.Kind()), Bounds: planBounds(m, len(baseline) > 0)})
		}
		if j := o.Journal; j != nil {
			m := schema.PlanMetric{Name: analysis.JournalMetricName, Kind: string(analysis.KindJournal), Bounds: []string{}}
			if j.MaxPerMinute != nil {
				m.Bounds = append(m.Bounds, fmt.Sprintf("max_per_minute %g", *j.MaxPerMinute))
			}
			if j.VsBaseline != nil && len(baseline) > 0 {
				m.Bounds = append(m.Bounds, "vs_baseline")
			}
			pa.Metrics = append(pa.Metrics, m)
		}
		p.Batches[i].Analysis = pa
	}
}

// planBounds are the bounds metric m is judged on in a batch with or
// without a baseline.
func planBounds(m analysis.Metric, hasBaseline bool) []string {
	if m.Kind() == analysis.KindExec {
		return []string{"exit 0"}
	}
	out := []string{}
	if m.Max != nil {
		out = append(out, fmt.Sprintf("max %g", *m.Max))
	}
	if m.Min != nil {
		out = append(out, fmt.Sprintf("min %g", *m.Min))
	}
	if m.VsBaseline != nil && hasBaseline {
		out = append(out, "vs_baseline")
	}
	return out
}
