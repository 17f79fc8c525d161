package prom

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/common/model"

	"github.com/sysroll/sysroll/internal/analysis"
)

// RefusedError is a preflight refusal other than a malformed query: the
// analysis could not see the baseline, so it would not see the canary.
type RefusedError struct {
	Metric string // "" when about the targets
	Why    string
}

func (e *RefusedError) Error() string {
	if e.Metric == "" {
		return "analysis preflight: " + e.Why
	}
	return fmt.Sprintf("analysis preflight: %s: %s", e.Metric, e.Why)
}

// PreflightOptions are what preflight checks against.
type PreflightOptions struct {
	// Metrics are the Prometheus metrics (others are skipped).
	Metrics []analysis.Metric
	// Baseline is the untouched fleet every query runs against.
	Baseline Set
	// InitialDelay and Window must each be at least two scrape intervals of
	// every baseline target.
	InitialDelay, Window time.Duration
}

// Preflight runs before anything is touched. Every query runs once against
// the baseline with the full window: a malformed one is a *BadQueryError,
// no data (but for an errors query, see Measure), NaN, several series or a
// matrix a *RefusedError; the baseline must be proven scraped (Fresh); and
// /api/v1/targets must list every baseline instance, healthy, with a
// scrape interval at most half of initial_delay and of window. Provider
// errors wrap analysis.ErrProvider. It returns every problem at once,
// joined; nil means the analysis can run.
func (p *Provider) Preflight(ctx context.Context, o PreflightOptions, now time.Time) error {
	var errs []error
	vars := Vars{Labels: o.Baseline.Labels, Window: ClipWindow(o.Window, time.Time{}, now), Service: p.Service}
	for _, m := range o.Metrics {
		type q struct {
			text       string
			emptyIsOK  bool
			queryField string
		}
		var qs []q
		switch m.Kind() {
		case analysis.KindRatio:
			qs = []q{{m.Total, false, "total"}, {m.Errors, true, "errors"}}
		case analysis.KindValue:
			qs = []q{{m.Query, false, "query"}}
		default:
			continue
		}
		for _, x := range qs {
			a := single(ctx, p.Q, Expand(x.text, vars), now)
			switch {
			case a.err != nil:
				errs = append(errs, fmt.Errorf("analysis preflight: %s.%s: %w", m.Name, x.queryField, a.err))
			case a.problem != nil && !(x.emptyIsOK && a.problem.Cause == analysis.NoData):
				errs = append(errs, &RefusedError{Metric: m.Name, Why: fmt.Sprintf("%s on the baseline: %s", x.queryField, a.problem)})
			}
		}
	}
	prob, _, err := p.Fresh(ctx, o.Baseline, now)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("analysis preflight: scrape check: %w", err))
	case prob != nil:
		errs = append(errs, &RefusedError{Why: prob.Error()})
	}
	errs = append(errs, p.checkTargets(ctx, o)...)
	return errors.Join(errs...)
}

func (p *Provider) checkTargets(ctx context.Context, o PreflightOptions) []error {
	targets, err := p.Q.Targets(ctx)
	if err != nil {
		return []error{fmt.Errorf("analysis preflight: %w", err)}
	}
	byInstance := map[string][]Target{}
	for _, t := range targets {
		byInstance[t.Labels[string(model.InstanceLabel)]] = append(byInstance[t.Labels[string(model.InstanceLabel)]], t)
	}
	var errs []error
	for _, l := range o.Baseline.Labels {
		ts := byInstance[l]
		if len(ts) == 0 {
			errs = append(errs, &RefusedError{Why: fmt.Sprintf("no scrape target has instance=%q (check instance_label)", l)})
			continue
		}
		for _, t := range ts {
			if t.Health != "up" {
				errs = append(errs, &RefusedError{Why: fmt.Sprintf("target %s (instance %q) is %s: %s", t.ScrapeURL, l, t.Health, t.LastError)})
			}
			iv, err := model.ParseDuration(t.ScrapeInterval)
			if err != nil || iv <= 0 {
				errs = append(errs, &RefusedError{Why: fmt.Sprintf("target %s reports scrape interval %q, want a duration", t.ScrapeURL, t.ScrapeInterval)})
				continue
			}
			for _, b := range []struct {
				name string
				d    time.Duration
			}{{"initial_delay", o.InitialDelay}, {"window", o.Window}} {
				if b.d < 2*time.Duration(iv) {
					errs = append(errs, &RefusedError{Why: fmt.Sprintf("%s %v is shorter than two scrape intervals of %s (%v): a measurement could see no new scrape", b.name, b.d, t.ScrapeURL, time.Duration(iv))})
				}
			}
		}
	}
	return errs
}
