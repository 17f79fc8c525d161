package rollout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sysroll/sysroll/internal/analysis"
	execmetric "github.com/sysroll/sysroll/internal/analysis/exec"
	"github.com/sysroll/sysroll/internal/analysis/journal"
	"github.com/sysroll/sysroll/internal/analysis/prom"
)

// Providers is the Measurer over the real providers: Prometheus for the
// ratio and value metrics, the journal for the journal rule, commands for
// the exec metrics.
type Providers struct {
	// Exec is nil when no metric is an exec metric.
	Exec *execmetric.Provider
	// Prom is nil when no prometheus: is configured.
	Prom *prom.Provider
	// InstanceLabel is prometheus.instance_label.
	InstanceLabel string
	// Journal is nil when no journal: is configured.
	Journal *journal.Provider
	// Window is the analysis window (the journal's lookback).
	Window time.Duration
}

var _ Measurer = (*Providers)(nil)

// Preflight checks that every exec metric's command exists and is
// executable, and runs prom.Preflight against every instance (the journal
// needs none: journalctl is the host's own). It runs no command: the canary
// does not exist yet, and a command run against the baseline would judge
// the old release, or do what a smoke test does to a fleet not asked for.
func (p *Providers) Preflight(ctx context.Context, o analysis.Options, baseline AnalysisSet, now time.Time) error {
	var errs []error
	for i, m := range o.Metrics {
		if m.Kind() == analysis.KindExec {
			if err := execmetric.Check(m.Exec[0]); err != nil {
				errs = append(errs, fmt.Errorf("analysis.metrics[%d] (%s): %w", i, m.Name, err))
			}
		}
	}
	if p.Prom != nil {
		labels, err := prom.Labels(p.InstanceLabel, baseline.Instances)
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		errs = append(errs, p.Prom.Preflight(ctx, prom.PreflightOptions{
			Metrics:      o.Metrics,
			Baseline:     prom.Set{Name: analysis.Baseline, Labels: labels},
			InitialDelay: o.InitialDelay, Window: o.Window,
		}, now))
	}
	return errors.Join(errs...)
}

// Measure takes one measurement from the provider m belongs to.
func (p *Providers) Measure(ctx context.Context, m analysis.Metric, set AnalysisSet, r Round) analysis.Measurement {
	fail := func(err error) analysis.Measurement {
		return analysis.Measurement{Metric: m.Name, Set: set.Name, At: r.Now, Err: fmt.Errorf("%w: %w", analysis.ErrProvider, err)}
	}
	if m.Name == analysis.JournalMetricName {
		if p.Journal == nil {
			return fail(errors.New("no journal provider"))
		}
		w := journal.Window{Since: r.Now.Add(-p.Window), Until: r.Now}
		if w.Since.Before(r.Since) {
			w.Since = r.Since
		}
		if set.Name == analysis.Canary {
			return p.Journal.Canary(ctx, set.Invocations, w)
		}
		return p.Journal.Baseline(ctx, set.Units, w)
	}
	if m.Kind() == analysis.KindExec {
		if p.Exec == nil {
			return fail(errors.New("no exec provider"))
		}
		return p.Exec.Measure(ctx, m, set.Name, set.Instances, r.Since, r.Now)
	}
	if p.Prom == nil {
		return fail(errors.New("no prometheus provider"))
	}
	labels, err := prom.Labels(p.InstanceLabel, set.Instances)
	if err != nil {
		return fail(err)
	}
	ps := prom.Set{Name: set.Name, Labels: labels}
	if set.Name == analysis.Canary {
		ps.Since = r.Since
		for i, t := range set.Started {
			if !t.IsZero() && i < len(labels) {
				if ps.Started == nil {
					ps.Started = map[string]time.Time{}
				}
				ps.Started[labels[i]] = t
			}
		}
	}
	return p.Prom.Measure(ctx, m, ps, r.Now)
}
