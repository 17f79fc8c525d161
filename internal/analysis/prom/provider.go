package prom

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/analysis"
)

// Set is the instances a measurement is about, as Prometheus sees them.
type Set struct {
	Name analysis.Set
	// Labels are the instances' `instance` label values (see Labels).
	Labels []string
	// Since is when the set went back in traffic: {window} is clipped to it
	// and every instance's last scrape must be after it. Zero: no clipping,
	// no scrape-age check (the untouched baseline).
	Since time.Time
	// Started maps a label to its process's start (systemd's
	// ExecMainStartTimestamp). Where the app exports
	// process_start_time_seconds, a series older than this is stale. Missing
	// labels are not checked.
	Started map[string]time.Time
}

// StartSlack is how much earlier than systemd's start timestamp a process's
// own process_start_time_seconds may be: the kernel's start time has clock
// tick and whole-second boot-time resolution.
const StartSlack = time.Second

// Provider measures metrics of a service from one Prometheus server.
type Provider struct {
	Q       Querier
	Service string
	// Window is the configured {window} (before clipping).
	Window time.Duration
}

// Measure takes one measurement of metric m (a ratio or a value metric) for
// set at now. Besides the metric's queries it proves the data comes from
// the set's processes (see Fresh); without that proof the measurement fails
// as not scraped or stale. An empty errors vector counts as 0 errors only
// when total has data and that proof holds: an error counter that appears
// with the first error is judged right, a broken scrape is not zero errors.
func (p *Provider) Measure(ctx context.Context, m analysis.Metric, set Set, now time.Time) analysis.Measurement {
	ms := analysis.Measurement{Metric: m.Name, Set: set.Name, At: now}
	vars := Vars{Labels: set.Labels, Window: ClipWindow(p.Window, set.Since, now), Service: p.Service}
	var answers []answer
	switch m.Kind() {
	case analysis.KindRatio:
		answers = []answer{single(ctx, p.Q, Expand(m.Total, vars), now), single(ctx, p.Q, Expand(m.Errors, vars), now)}
	case analysis.KindValue:
		answers = []answer{single(ctx, p.Q, Expand(m.Query, vars), now)}
	default:
		ms.Err = fmt.Errorf("%w: metric %s is not a Prometheus metric (kind %q)", analysis.ErrProvider, m.Name, m.Kind())
		return ms
	}
	for i, a := range answers {
		ms.Queries = append(ms.Queries, a.query)
		ms.Warnings = append(ms.Warnings, a.warnings...)
		if a.err != nil {
			ms.Err = a.err
			return ms
		}
		emptyErrors := i == 1 && a.problem != nil && a.problem.Cause == analysis.NoData
		if a.problem != nil && !emptyErrors {
			ms.Problem = a.problem
			return ms
		}
	}
	fresh, warnings, err := p.Fresh(ctx, set, now)
	ms.Warnings = append(ms.Warnings, warnings...)
	switch {
	case err != nil:
		ms.Err = err
		return ms
	case fresh != nil:
		ms.Problem = fresh
		return ms
	}
	if m.Kind() == analysis.KindValue {
		v := answers[0].value
		ms.Value = &v
		return ms
	}
	ms.Counts = &analysis.Counts{Events: answers[1].value, Exposure: answers[0].value} // an empty errors answer is 0
	return ms
}

// Fresh proves that every instance of set is scraped now, by the process
// judged (design note 2.4 rule 5): up has exactly one series per instance,
// each 1, each last scraped after set.Since; and where the app exports
// process_start_time_seconds, no instance's is older than its Started. It
// returns the problem found (nil when proven) or a provider error.
func (p *Provider) Fresh(ctx context.Context, set Set, now time.Time) (*analysis.DataProblem, []string, error) {
	if len(set.Labels) == 0 {
		return analysis.Problemf(analysis.NotScraped, "%s: no instances", set.Name), nil, nil
	}
	sel := fmt.Sprintf(`{instance=~"%s"}`, Expand("{instances}", Vars{Labels: set.Labels}))
	up, w1, prob, err := perInstance(ctx, p.Q, "up"+sel, now)
	if err != nil || prob != nil {
		return prob, w1, err
	}
	var missing, down []string
	for _, l := range set.Labels {
		v, ok := up[l]
		switch {
		case !ok:
			missing = append(missing, l)
		case v != 1:
			down = append(down, l)
		}
	}
	if len(missing) > 0 || len(down) > 0 || len(up) != len(set.Labels) {
		return analysis.Problemf(analysis.NotScraped, "%s: up%s: no target for %s; down: %s (%d series for %d instances)",
			set.Name, sel, list(missing), list(down), len(up), len(set.Labels)), w1, nil
	}
	warnings := w1
	if !set.Since.IsZero() {
		ts, w, prob, err := perInstance(ctx, p.Q, "timestamp(up"+sel+")", now)
		warnings = append(warnings, w...)
		if err != nil || prob != nil {
			return prob, warnings, err
		}
		var old []string
		for _, l := range set.Labels {
			if at, ok := ts[l]; !ok || at < float64(set.Since.UnixMilli())/1000 {
				old = append(old, fmt.Sprintf("%s (last scrape %s)", l, fmtUnix(at, ok)))
			}
		}
		if len(old) > 0 {
			return analysis.Problemf(analysis.Stale, "%s: not scraped since it went back in traffic at %s: %s",
				set.Name, set.Since.UTC().Format(time.RFC3339), strings.Join(old, ", ")), warnings, nil
		}
	}
	if len(set.Started) > 0 {
		st, w, prob, err := perInstance(ctx, p.Q, "process_start_time_seconds"+sel, now)
		warnings = append(warnings, w...)
		if err != nil || prob != nil {
			return prob, warnings, err
		}
		var old []string
		for _, l := range set.Labels {
			want, ok1 := set.Started[l]
			got, ok2 := st[l]
			if ok1 && ok2 && got < float64(want.Add(-StartSlack).UnixMilli())/1000 {
				old = append(old, fmt.Sprintf("%s (process started %s, systemd started it %s)", l, fmtUnix(got, true), want.UTC().Format(time.RFC3339)))
			}
		}
		if len(old) > 0 {
			return analysis.Problemf(analysis.Stale, "%s: series from an older process: %s", set.Name, strings.Join(old, ", ")), warnings, nil
		}
	}
	return nil, warnings, nil
}

func fmtUnix(sec float64, ok bool) string {
	if !ok || math.IsNaN(sec) || math.IsInf(sec, 0) {
		return "none"
	}
	return time.UnixMilli(int64(sec * 1000)).UTC().Format(time.RFC3339)
}

func list(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
