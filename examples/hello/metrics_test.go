package main

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape GETs /metrics from h and parses it as Prometheus does.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Accept", "text/plain;version=0.0.4") // Prometheus 2's text format
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("GET /metrics = %d %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q, want the text format", ct)
	}
	return parseMetrics(t, rec.Body.String())
}

// parseMetrics parses the text exposition format with Prometheus' parser.
func parseMetrics(t *testing.T, text string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, text)
	}
	return mfs
}

// requestsByCode is hello_requests_total by its code label.
func requestsByCode(t *testing.T, mfs map[string]*dto.MetricFamily) map[string]float64 {
	t.Helper()
	got := map[string]float64{}
	mf := mfs["hello_requests_total"]
	if mf == nil {
		return got
	}
	if mf.GetType() != dto.MetricType_COUNTER {
		t.Errorf("hello_requests_total is a %s, want a counter", mf.GetType())
	}
	for _, m := range mf.GetMetric() {
		if len(m.GetLabel()) != 1 || m.GetLabel()[0].GetName() != "code" {
			t.Errorf("hello_requests_total labels %v, want code only", m.GetLabel())
			continue
		}
		got[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
	}
	return got
}

// histogram is the one hello_request_seconds series.
func histogram(t *testing.T, mfs map[string]*dto.MetricFamily) *dto.Histogram {
	t.Helper()
	mf := mfs["hello_request_seconds"]
	if mf == nil || mf.GetType() != dto.MetricType_HISTOGRAM || len(mf.GetMetric()) != 1 {
		t.Fatalf("hello_request_seconds = %v, want one histogram", mf)
	}
	return mf.GetMetric()[0].GetHistogram()
}

func equalCounts(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// The error rate is exact, not a random walk: 5 % of 1000 work requests is
// 50 answers 500; probes and scrapes are neither counted nor failed.
func TestMetricsCountErrorRateByCode(t *testing.T) {
	now := time.Unix(1000, 0)
	a := newTestApp(&now, 0)
	a.errorRate = spread{ppm: 50_000} // 0.05
	h := a.routes()

	var got500 int
	for i := range 1000 {
		method, target := "POST", "/work?ms=0"
		if i%100 == 0 {
			method, target = "GET", "/" // both work endpoints share one spread
		}
		code, body := serve(t, h, method, target)
		switch code {
		case 200:
		case 500:
			got500++
			if body != "error on purpose (--error-rate 0.05)\n" {
				t.Errorf("500 body %q", body)
			}
		default:
			t.Fatalf("%s: %d %q", target, code, body)
		}
		if i%50 == 0 {
			// Probes and scrapes in between: always 200, never counted.
			if code, _ := serve(t, h, "GET", "/healthz"); code != 200 {
				t.Fatalf("/healthz = %d with --error-rate", code)
			}
			scrape(t, h)
		}
	}
	if got500 != 50 {
		t.Errorf("%d of 1000 answered 500, want exactly 50", got500)
	}
	serve(t, h, "GET", "/work?ms=bad") // 400, counted too
	serve(t, h, "GET", "/nope")        // 404 of the mux: not a work endpoint

	mfs := scrape(t, h)
	want := map[string]float64{"200": 950, "500": 50, "400": 1}
	if got := requestsByCode(t, mfs); !equalCounts(got, want) {
		t.Errorf("hello_requests_total = %v, want %v", got, want)
	}
	if n := histogram(t, mfs).GetSampleCount(); n != 1001 {
		t.Errorf("hello_request_seconds_count = %d, want 1001", n)
	}
}

// The errors are every 20th request, so any window of 100 requests (what a
// short canary analysis sees) holds 5 of them, not 0 or 12.
func TestErrorRateIsEvenlySpread(t *testing.T) {
	now := time.Unix(1000, 0)
	a := newTestApp(&now, 0)
	a.errorRate = spread{ppm: 50_000}
	h := a.routes()
	for i := 1; i <= 200; i++ {
		code, _ := serve(t, h, "GET", "/work?ms=0")
		if want := map[bool]int{true: 500, false: 200}[i%20 == 0]; code != want {
			t.Fatalf("request %d: %d, want %d", i, code, want)
		}
	}
}

func TestMetricsStandardCollectors(t *testing.T) {
	now := time.Unix(1000, 0)
	mfs := scrape(t, newTestApp(&now, 0).routes())
	// The analysis's freshness check: the series come from a process that
	// started after the unit's ExecMainStartTimestamp.
	start := mfs["process_start_time_seconds"]
	if start == nil || len(start.GetMetric()) != 1 {
		t.Fatalf("process_start_time_seconds = %v", start)
	}
	v := start.GetMetric()[0].GetGauge().GetValue()
	if age := time.Since(time.Unix(int64(v), 0)); v <= 0 || age < 0 || age > time.Hour {
		t.Errorf("process_start_time_seconds = %v (%s ago), want this test's process", v, age)
	}
	for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_resident_memory_bytes"} {
		if mfs[name] == nil {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	// Nothing counted before the first work request: no series yet.
	if got := requestsByCode(t, mfs); len(got) != 0 {
		t.Errorf("hello_requests_total before any request = %v", got)
	}
}

// --latency delays the work endpoints only, and the histogram sees it.
func TestLatencyApplied(t *testing.T) {
	now := time.Unix(1000, 0)
	a := newTestApp(&now, 0)
	a.latency = 50 * time.Millisecond
	var slept []time.Duration
	fake := a.sleep
	a.sleep = func(ctx context.Context, d time.Duration) bool {
		slept = append(slept, d)
		return fake(ctx, d)
	}
	h := a.routes()

	serve(t, h, "GET", "/healthz")
	scrape(t, h)
	if len(slept) != 0 {
		t.Fatalf("probe or scrape delayed: %v", slept)
	}
	if code, _ := serve(t, h, "GET", "/"); code != 200 {
		t.Fatalf("GET / = %d", code)
	}
	if code, _ := serve(t, h, "GET", "/work?ms=0"); code != 200 {
		t.Fatalf("GET /work = %d", code)
	}
	if len(slept) != 2 || slept[0] != a.latency || slept[1] != a.latency {
		t.Errorf("slept %v, want 50ms twice", slept)
	}

	hist := histogram(t, scrape(t, h))
	if hist.GetSampleCount() != 2 || math.Abs(hist.GetSampleSum()-0.1) > 1e-9 {
		t.Errorf("histogram count %d sum %v, want 2 and 0.1s", hist.GetSampleCount(), hist.GetSampleSum())
	}
	for _, b := range hist.GetBucket() {
		want := uint64(0)
		if b.GetUpperBound() >= 0.05 {
			want = 2
		}
		if b.GetCumulativeCount() != want {
			t.Errorf("bucket le=%v: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
		}
	}
}

// A client that leaves during the added latency gets no answer; it is
// counted as 499, neither a success nor an error of the app.
func TestLatencyClientGone(t *testing.T) {
	now := time.Unix(1000, 0)
	a := newTestApp(&now, 0)
	a.latency = time.Second
	a.sleep = sleepCtx // real, cut short by the cancelled request
	h := a.routes()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil).WithContext(ctx))
	if rec.Body.Len() != 0 {
		t.Errorf("answered %q to a client that left", rec.Body)
	}
	if got, want := requestsByCode(t, scrape(t, h)), map[string]float64{"499": 1}; !equalCounts(got, want) {
		t.Errorf("hello_requests_total = %v, want %v", got, want)
	}
}

// --error-after holds the error rate back until that long after ready:
// before, every work request succeeds; from then on, the rate applies.
func TestErrorAfter(t *testing.T) {
	now := time.Unix(1000, 0)
	a := newTestApp(&now, 0)
	a.errorRate, a.errorAfter = spread{ppm: 1_000_000}, 20*time.Second
	h := a.routes()
	if code, _ := serve(t, h, "POST", "/work?ms=0"); code != 200 {
		t.Errorf("before ready: %d, want 200", code)
	}
	a.markReady()
	now = now.Add(19 * time.Second)
	if code, _ := serve(t, h, "POST", "/work?ms=0"); code != 200 {
		t.Errorf("19s after ready: %d, want 200", code)
	}
	now = now.Add(time.Second)
	if code, _ := serve(t, h, "POST", "/work?ms=0"); code != 500 {
		t.Errorf("20s after ready: %d, want 500", code)
	}
}
