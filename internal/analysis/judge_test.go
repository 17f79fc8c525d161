package analysis

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func f(v float64) *float64 { return &v }

func counts(set Set, events, exposure float64) Measurement {
	return Measurement{Metric: "errors", Set: set, Counts: &Counts{Events: events, Exposure: exposure}}
}

func value(set Set, v float64) Measurement {
	return Measurement{Metric: "p99", Set: set, Value: &v}
}

func problem(set Set, c Cause) Measurement {
	return Measurement{Metric: "errors", Set: set, Problem: Problemf(c, "seen in the test")}
}

func TestJudge(t *testing.T) {
	ratio := Metric{Name: "errors", Errors: "e{instances}", Total: "t{instances}", MinTotal: 100,
		VsBaseline: &VsBaseline{MaxRatio: 2, MaxDelta: 0.002, Confidence: 0.99}}
	ratioMax := ratio
	ratioMax.Max = f(0.01)
	relOnly := ratio // only vs_baseline
	latency := Metric{Name: "p99", Query: "q{instances}", Max: f(0.3),
		VsBaseline: &VsBaseline{MaxRatio: 1.5, MaxDelta: 0.02, Confidence: 0.99}}
	journal := JournalOptions{MaxPerMinute: f(10), VsBaseline: &VsBaseline{MaxRatio: 2, Confidence: 0.99}}.JournalMetric()
	base := func(m Measurement) *Measurement { return &m }

	for _, tc := range []struct {
		name     string
		m        Metric
		canary   Measurement
		baseline *Measurement
		want     Outcome
		reason   []string // substrings the reason must hold
	}{
		// 5 % errors against 0 % with enough requests: above the bound and
		// highly significant.
		{"5% vs 0%", ratio, counts(Canary, 50, 1000), base(counts(Baseline, 0, 3000)), Fail,
			[]string{"errors:", "50 of 1000", "0 of 3000", "bound", "significant (p ="}},
		{"good vs good", ratio, counts(Canary, 1, 1000), base(counts(Baseline, 3, 3000)), Pass, []string{"within"}},
		// Above the bound but too few events to be sure: passes, says so.
		{"above, not significant", ratio, counts(Canary, 2, 200), base(counts(Baseline, 3, 3000)), Pass,
			[]string{"not significant"}},
		// The design's worked numbers with requests as exposure (tc = 1000,
		// tb = 3000 so p0 = 0.4 at r = 2).
		{"6 vs 0 fails", ratio, counts(Canary, 6, 1000), base(counts(Baseline, 0, 3000)), Fail, []string{"p = 0.0041"}},
		{"5 vs 0 passes", ratio, counts(Canary, 5, 1000), base(counts(Baseline, 0, 3000)), Pass, []string{"p = 0.0102"}},
		{"absolute max, canary alone", ratioMax, counts(Canary, 20, 1000), nil, Fail, []string{"above max 0.01"}},
		{"absolute max wins over not-significant", ratioMax, counts(Canary, 3, 200), base(counts(Baseline, 3, 3000)), Fail, []string{"above max"}},
		{"last batch: absolute only", ratioMax, counts(Canary, 5, 1000), nil, Pass, []string{"vs_baseline not applied"}},
		{"last batch: no absolute bound", relOnly, counts(Canary, 0, 1000), nil, Fail, []string{"no bound applies"}},
		{"below min_total", ratio, counts(Canary, 3, 40), base(counts(Baseline, 0, 3000)), Inconclusive, []string{"below min_total 100"}},
		{"zero total is no traffic, not inconclusive", ratio, counts(Canary, 0, 0), base(counts(Baseline, 0, 3000)), Fail, []string{"no traffic"}},
		{"baseline zero total", ratio, counts(Canary, 0, 500), base(counts(Baseline, 0, 0)), Fail, []string{"baseline no traffic"}},
		{"errors exceed total", ratio, counts(Canary, 300, 200), base(counts(Baseline, 0, 3000)), Fail, []string{"inconsistent"}},
		{"extrapolated errors a hair over total", ratio, counts(Canary, 200.3, 200), base(counts(Baseline, 600, 3000)), Fail, []string{"significant"}},
		{"negative counts", ratio, counts(Canary, -1, 200), base(counts(Baseline, 0, 3000)), Fail, []string{"inconsistent"}},
		{"NaN counts", ratio, counts(Canary, math.NaN(), 200), base(counts(Baseline, 0, 3000)), Fail, []string{"inconsistent"}},
		{"canary no data", ratio, problem(Canary, NoData), base(counts(Baseline, 0, 3000)), Fail, []string{"canary no data"}},
		{"canary several series", ratio, problem(Canary, Several), base(counts(Baseline, 0, 3000)), Fail, []string{"several series"}},
		{"canary stale", ratio, problem(Canary, Stale), base(counts(Baseline, 0, 3000)), Fail, []string{"stale"}},
		{"baseline not scraped", ratio, counts(Canary, 0, 1000), base(problem(Baseline, NotScraped)), Fail, []string{"baseline not scraped"}},
		{"provider error", ratio, Measurement{Metric: "errors", Err: errors.New("503")}, base(counts(Baseline, 0, 3000)), Error, []string{"not measured: 503"}},
		{"baseline provider error", ratio, counts(Canary, 0, 1000), base(Measurement{Err: errors.New("timeout")}), Error, []string{"baseline not measured"}},
		{"nothing at all", ratio, Measurement{Metric: "errors"}, nil, Fail, []string{"no data"}},
		{"a metric with no bound", Metric{Name: "errors", Errors: "e", Total: "t"}, counts(Canary, 0, 1000), base(counts(Baseline, 0, 1000)), Fail, []string{"no bound at all"}},

		{"latency within", latency, value(Canary, 0.1), base(value(Baseline, 0.09)), Pass, []string{"within"}},
		{"latency above baseline", latency, value(Canary, 0.2), base(value(Baseline, 0.1)), Fail, []string{"canary 0.2, baseline 0.1", "= 0.15", "above"}},
		{"latency small absolute difference", latency, value(Canary, 0.025), base(value(Baseline, 0.01)), Pass, []string{"within"}},
		{"latency above max", latency, value(Canary, 0.5), base(value(Baseline, 0.5)), Fail, []string{"above max 0.3"}},
		{"latency NaN", latency, value(Canary, math.NaN()), base(value(Baseline, 0.1)), Fail, []string{"NaN"}},
		{"latency +Inf", latency, value(Canary, math.Inf(1)), base(value(Baseline, 0.1)), Fail, []string{"infinite"}},
		{"baseline -Inf", latency, value(Canary, 0.1), base(value(Baseline, math.Inf(-1))), Fail, []string{"baseline infinite"}},
		{"min bound", Metric{Name: "rps", Query: "q{instances}", Min: f(5)}, value(Canary, 1), nil, Fail, []string{"below min 5"}},

		// The journal: 30 errors in 60 instance-s (one canary) vs 3 in 180
		// (three baseline): 30/min against 1/min.
		{"journal 10x", journal, counts(Canary, 30, 60), base(counts(Baseline, 3, 180)), Fail, []string{"above max"}},
		{"journal rate vs baseline", journal, counts(Canary, 8, 60), base(counts(Baseline, 1, 180)), Fail, []string{"significant"}},
		{"journal quiet", journal, counts(Canary, 0, 60), base(counts(Baseline, 2, 180)), Pass, []string{"within"}},
		{"journal rate-limited", journal, problem(Canary, Suppressed), base(counts(Baseline, 0, 180)), Fail, []string{"rate-limited"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Judge(tc.m, tc.canary, tc.baseline)
			if v.Outcome != tc.want {
				t.Errorf("outcome %s, want %s (reason: %s)", v.Outcome, tc.want, v.Reason)
			}
			for _, s := range tc.reason {
				if !strings.Contains(v.Reason, s) {
					t.Errorf("reason %q lacks %q", v.Reason, s)
				}
			}
			if !strings.HasPrefix(v.Reason, tc.m.Name+":") {
				t.Errorf("reason %q does not start with the metric's name", v.Reason)
			}
		})
	}
}

// The numbers a human needs are in the verdict, not only in the text.
func TestJudgeValues(t *testing.T) {
	m := Metric{Name: "errors", Errors: "e{instances}", Total: "t{instances}", MinTotal: 100,
		VsBaseline: &VsBaseline{MaxRatio: 2, MaxDelta: 0.002, Confidence: 0.99}}
	b := counts(Baseline, 3, 3000)
	v := Judge(m, counts(Canary, 50, 1000), &b)
	if v.Canary != 0.05 || v.Baseline != 0.001 || math.Abs(v.Bound-0.003) > 1e-12 || !(v.P < 1e-10) {
		t.Errorf("canary %g baseline %g bound %g p %g", v.Canary, v.Baseline, v.Bound, v.P)
	}
	if len(v.Measurements) != 2 {
		t.Errorf("%d measurements kept, want 2", len(v.Measurements))
	}
}
