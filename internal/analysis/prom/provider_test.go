package prom

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/analysis"
)

var (
	now       = time.Date(2026, 12, 1, 10, 0, 30, 0, time.UTC)
	backAt    = now.Add(-20 * time.Second) // the canary went back in traffic
	canaryL   = []string{"127.0.0.1:8081"}
	errorsM   = analysis.Metric{Name: "errors", Errors: `sum(increase(req_total{instance=~"{instances}",code=~"5.."}[{window}]))`, Total: `sum(increase(req_total{instance=~"{instances}"}[{window}]))`}
	p99M      = analysis.Metric{Name: "p99", Query: `histogram_quantile(0.99, sum by (le) (rate(lat_bucket{instance=~"{instances}"}[{window}])))`}
	canarySel = `{instance=~"127\\.0\\.0\\.1:8081"}`
)

func canarySet() Set {
	return Set{Name: analysis.Canary, Labels: canaryL, Since: backAt,
		Started: map[string]time.Time{"127.0.0.1:8081": backAt.Add(-5 * time.Second)}}
}

// healthy makes the canary's freshness queries answer "scraped now by the
// new process".
func healthy(f *fakeProm) {
	f.set("up"+canarySel, vector(sample{[]string{"instance=127.0.0.1:8081", "job=hello"}, "1"}))
	f.set("timestamp(up"+canarySel+")", vector(sample{[]string{"instance=127.0.0.1:8081", "job=hello"}, fmt.Sprint(now.Add(-time.Second).Unix())}))
	f.set("process_start_time_seconds"+canarySel, vector(sample{[]string{"instance=127.0.0.1:8081", "job=hello"}, fmt.Sprint(backAt.Add(-4 * time.Second).Unix())}))
}

const (
	totalQ  = `sum(increase(req_total{instance=~"127\\.0\\.0\\.1:8081"}[20s]))`
	errorsQ = `sum(increase(req_total{instance=~"127\\.0\\.0\\.1:8081",code=~"5.."}[20s]))`
	p99Q    = `histogram_quantile(0.99, sum by (le) (rate(lat_bucket{instance=~"127\\.0\\.0\\.1:8081"}[20s])))`
)

func TestMeasure(t *testing.T) {
	one := func(v string) reply { return vector(sample{nil, v}) }
	upSeries := func(vals ...string) reply {
		var ss []sample
		for _, v := range vals {
			ss = append(ss, sample{[]string{"instance=127.0.0.1:8081", "job=j" + v}, v})
		}
		return vector(ss...)
	}
	for _, tc := range []struct {
		name   string
		metric analysis.Metric
		edit   func(f *fakeProm)
		counts *analysis.Counts
		value  *float64
		cause  analysis.Cause
		detail string
		errIs  error
	}{
		{name: "ratio", metric: errorsM, edit: func(f *fakeProm) { f.set(totalQ, one("400")); f.set(errorsQ, one("20")) },
			counts: &analysis.Counts{Events: 20, Exposure: 400}},
		{name: "no error series yet counts as 0", metric: errorsM, edit: func(f *fakeProm) { f.set(totalQ, one("400")); f.set(errorsQ, vector()) },
			counts: &analysis.Counts{Events: 0, Exposure: 400}},
		{name: "no error series and not scraped is no zero", metric: errorsM, edit: func(f *fakeProm) {
			f.set(totalQ, one("400"))
			f.set(errorsQ, vector())
			f.set("up"+canarySel, upSeries("0"))
		}, cause: analysis.NotScraped, detail: "down: 127.0.0.1:8081"},
		{name: "no total", metric: errorsM, edit: func(f *fakeProm) { f.set(totalQ, vector()); f.set(errorsQ, vector()) },
			cause: analysis.NoData, detail: totalQ},
		{name: "total NaN", metric: errorsM, edit: func(f *fakeProm) { f.set(totalQ, one("NaN")); f.set(errorsQ, one("1")) }, cause: analysis.NotANumber},
		{name: "errors in two series", metric: errorsM, edit: func(f *fakeProm) {
			f.set(totalQ, one("400"))
			f.set(errorsQ, vector(sample{[]string{"code=500"}, "1"}, sample{[]string{"code=503"}, "2"}))
		}, cause: analysis.Several},
		{name: "up missing", metric: errorsM, edit: func(f *fakeProm) {
			f.set(totalQ, one("400"))
			f.set(errorsQ, one("1"))
			f.set("up"+canarySel, vector())
		},
			cause: analysis.NotScraped, detail: "no target for 127.0.0.1:8081"},
		{name: "up twice", metric: errorsM, edit: func(f *fakeProm) {
			f.set(totalQ, one("400"))
			f.set(errorsQ, one("1"))
			f.set("up"+canarySel, upSeries("1", "1"))
		},
			cause: analysis.Several, detail: "not one per instance"},
		{name: "last scrape before back in traffic", metric: errorsM, edit: func(f *fakeProm) {
			f.set(totalQ, one("400"))
			f.set(errorsQ, one("1"))
			f.set("timestamp(up"+canarySel+")", vector(sample{[]string{"instance=127.0.0.1:8081"}, fmt.Sprint(backAt.Add(-3 * time.Second).Unix())}))
		}, cause: analysis.Stale, detail: "not scraped since it went back in traffic"},
		{name: "series of the old process", metric: errorsM, edit: func(f *fakeProm) {
			f.set(totalQ, one("400"))
			f.set(errorsQ, one("1"))
			f.set("process_start_time_seconds"+canarySel, vector(sample{[]string{"instance=127.0.0.1:8081"}, fmt.Sprint(backAt.Add(-time.Hour).Unix())}))
		}, cause: analysis.Stale, detail: "older process"},
		{name: "no process_start_time_seconds is not checked", metric: errorsM, edit: func(f *fakeProm) {
			f.set(totalQ, one("400"))
			f.set(errorsQ, one("1"))
			f.set("process_start_time_seconds"+canarySel, vector())
		}, counts: &analysis.Counts{Events: 1, Exposure: 400}},
		{name: "value", metric: p99M, edit: func(f *fakeProm) { f.set(p99Q, one("0.125")) }, value: ptr(0.125)},
		{name: "value +Inf", metric: p99M, edit: func(f *fakeProm) { f.set(p99Q, one("+Inf")) }, cause: analysis.Infinite},
		{name: "value matrix", metric: p99M, edit: func(f *fakeProm) { f.set(p99Q, matrix(sample{nil, "1"})) }, cause: analysis.Shape},
		{name: "provider error", metric: p99M, edit: func(f *fakeProm) { f.set(p99Q, reply{code: 503, body: "down"}) }, errIs: analysis.ErrProvider},
		{name: "provider error in the scrape check", metric: p99M, edit: func(f *fakeProm) { f.set(p99Q, one("1")); f.set("up"+canarySel, reply{code: 502}) }, errIs: analysis.ErrProvider},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			healthy(f)
			tc.edit(f)
			p := &Provider{Q: f.client(t, time.Second), Service: "hello", Window: 2 * time.Minute}
			ms := p.Measure(context.Background(), tc.metric, canarySet(), now)
			if ms.Metric != tc.metric.Name || ms.Set != analysis.Canary || !ms.At.Equal(now) || len(ms.Queries) == 0 {
				t.Errorf("measurement %+v lacks its identity or queries", ms)
			}
			switch {
			case tc.errIs != nil:
				if !errors.Is(ms.Err, tc.errIs) || ms.Problem != nil || ms.Counts != nil || ms.Value != nil {
					t.Fatalf("got %+v, want provider error", ms)
				}
			case tc.cause != "":
				if ms.Err != nil || ms.Problem == nil || ms.Problem.Cause != tc.cause || ms.Counts != nil || ms.Value != nil {
					t.Fatalf("got %+v (problem %+v), want %s", ms, ms.Problem, tc.cause)
				}
				if !strings.Contains(ms.Problem.Detail, tc.detail) {
					t.Errorf("detail %q lacks %q", ms.Problem.Detail, tc.detail)
				}
			case tc.counts != nil:
				if ms.Err != nil || ms.Problem != nil || ms.Counts == nil || *ms.Counts != *tc.counts {
					t.Fatalf("got %+v (problem %+v, err %v), want %+v", ms, ms.Problem, ms.Err, tc.counts)
				}
			default:
				if ms.Err != nil || ms.Problem != nil || ms.Value == nil || *ms.Value != *tc.value {
					t.Fatalf("got %+v (problem %+v, err %v), want %g", ms, ms.Problem, ms.Err, *tc.value)
				}
			}
		})
	}
}

func ptr(v float64) *float64 { return &v }

func TestPreflight(t *testing.T) {
	baseL := []string{"127.0.0.1:8082", "127.0.0.1:8083"}
	sel := `{instance=~"127\\.0\\.0\\.1:8082|127\\.0\\.0\\.1:8083"}`
	bTotal := `sum(increase(req_total` + sel + `[120s]))`
	bErrors := `sum(increase(req_total{instance=~"127\\.0\\.0\\.1:8082|127\\.0\\.0\\.1:8083",code=~"5.."}[120s]))`
	bP99 := `histogram_quantile(0.99, sum by (le) (rate(lat_bucket` + sel + `[120s])))`
	upBoth := vector(sample{[]string{"instance=127.0.0.1:8082"}, "1"}, sample{[]string{"instance=127.0.0.1:8083"}, "1"})
	setup := func(t *testing.T) *fakeProm {
		f := newFake(t)
		f.set(bTotal, vector(sample{nil, "900"}))
		f.set(bErrors, vector()) // no error series on a healthy baseline: allowed
		f.set(bP99, vector(sample{nil, "0.05"}))
		f.set("up"+sel, upBoth)
		f.targets = targetsJSON("1s", baseL...)
		return f
	}
	opts := PreflightOptions{Metrics: []analysis.Metric{errorsM, p99M, {Name: "smoke", Exec: []string{"true"}}},
		Baseline: Set{Name: analysis.Baseline, Labels: baseL}, InitialDelay: 3 * time.Second, Window: 2 * time.Minute}
	run := func(t *testing.T, f *fakeProm, o PreflightOptions) error {
		p := &Provider{Q: f.client(t, time.Second), Service: "hello", Window: o.Window}
		return p.Preflight(context.Background(), o, now)
	}

	t.Run("good", func(t *testing.T) {
		if err := run(t, setup(t), opts); err != nil {
			t.Fatalf("refused: %v", err)
		}
	})
	t.Run("bad query", func(t *testing.T) {
		f := setup(t)
		f.set(bP99, errorReply(400, "bad_data", `invalid parameter "query": 1:20: parse error`))
		err := run(t, f, opts)
		var bad *BadQueryError
		if !errors.As(err, &bad) || bad.Query != bP99 {
			t.Fatalf("err = %v, want *BadQueryError for the p99 query", err)
		}
	})
	t.Run("every problem at once", func(t *testing.T) {
		f := setup(t)
		f.set(bTotal, vector())                 // no data
		f.set(bP99, vector(sample{nil, "NaN"})) // NaN
		f.set("up"+sel, vector(sample{[]string{"instance=127.0.0.1:8082"}, "1"}))
		f.targets = targetsJSON("5s", "127.0.0.1:8082")
		err := run(t, f, opts)
		for _, want := range []string{
			"errors: total on the baseline: no data",
			"p99: query on the baseline: NaN",
			"no target for 127.0.0.1:8083",
			`no scrape target has instance="127.0.0.1:8083"`,
			"initial_delay 3s is shorter than two scrape intervals",
		} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("missing %q in %v", want, err)
			}
		}
		var ref *RefusedError
		if !errors.As(err, &ref) {
			t.Errorf("no *RefusedError in %v", err)
		}
	})
	t.Run("window too short", func(t *testing.T) {
		f := setup(t)
		f.targets = targetsJSON("15s", baseL...)
		o := opts
		o.InitialDelay = 30 * time.Second
		o.Window = 20 * time.Second
		// Window 20s changes the expansion.
		f.set(strings.ReplaceAll(bTotal, "120s", "20s"), vector(sample{nil, "900"}))
		f.set(strings.ReplaceAll(bErrors, "120s", "20s"), vector())
		f.set(strings.ReplaceAll(bP99, "120s", "20s"), vector(sample{nil, "0.05"}))
		err := run(t, f, o)
		if err == nil || !strings.Contains(err.Error(), "window 20s is shorter than two scrape intervals") || strings.Contains(err.Error(), "initial_delay") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("target down", func(t *testing.T) {
		f := setup(t)
		f.targets = strings.Replace(targetsJSON("1s", baseL...), `"health":"up","lastError":""`, `"health":"down","lastError":"connection refused"`, 1)
		if err := run(t, f, opts); err == nil || !strings.Contains(err.Error(), "is down: connection refused") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		f := setup(t)
		f.srv.Close()
		err := run(t, f, opts)
		if !errors.Is(err, analysis.ErrProvider) {
			t.Errorf("err = %v, want provider errors", err)
		}
	})
}
