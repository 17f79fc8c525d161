//go:build integration

package analysis

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
	"github.com/sysroll/sysroll/internal/traffic"
)

// loaded starts Prometheus and the service behind HAProxy with load
// through it, and waits until Prometheus has every instance's requests.
func loaded(t *testing.T, s *service, frontend int, extra string) (*e2etest.HAProxy, *traffic.Stats, func()) {
	t.Helper()
	base := startPrometheus(t, s.targets())
	s.prom = base
	s.analysis = promBlock(base, extra)
	s.install()
	h := s.haproxy(frontend)
	ctx, cancel := context.WithCancel(context.Background())
	gen := &traffic.Generator{URL: h.URL("/work?ms=5"), Concurrency: 4}
	stats, wait := gen.Start(ctx)
	stop := func() { cancel(); wait() }
	t.Cleanup(stop)
	promWait(t, base, `count_over_time(hello_requests_total{job="hello",code="200"}[30s]) >= 3`, len(s.ports))
	return h, stats, stop
}

func promOf(s *service) string { return s.prom }

func show(f *float64) string {
	if f == nil {
		return "none"
	}
	return fmt.Sprint(*f)
}

// verdictTimes is when the canary was back in traffic (its instance-done)
// and when its analysis decided.
func verdictTimes(t *testing.T, evs []schema.Event, canary string) (time.Time, time.Time) {
	t.Helper()
	var done, verdict time.Time
	for _, e := range evs {
		if e.Type == "instance-done" && e.Instance == canary && done.IsZero() {
			done = e.Time
		}
		if e.Type == "analysis-verdict" && e.Batch == 0 {
			verdict = e.Time
		}
	}
	if done.IsZero() || verdict.IsZero() {
		t.Fatalf("no instance-done of %s or no analysis-verdict of batch 1", canary)
	}
	return done, verdict
}

// (a) A release with 5 % errors passes every probe, is caught by the
// analysis at the canary and rolled back; the other instances are never
// restarted, and every failed request is a 500 of the canary itself.
func TestAnalysisCatchesErrorsAtCanary(t *testing.T) {
	s := &service{t: t, name: "an-bad", ports: []int{25810, 25811, 25812, 25813}}
	h, stats, stop := loaded(t, s, 25850, "")
	before := s.invocations()
	r := s.deploy("v2", s.release("v2", "--error-rate", "0.05"))
	stop()
	if r.Code != 1 {
		t.Fatalf("deploy of the bad release: exit %d, want 1 (rolled back): %s", r.Code, r)
	}
	evs := e2etest.ParseEvents(t, r.Stdout)
	if f := eventsOf(evs, "instance-failed"); len(f) != 0 {
		t.Errorf("%d instance-failed events: a probe failed, but this release passes every probe: %+v", len(f), f)
	}
	vs := eventsOf(evs, "analysis-verdict")
	if len(vs) != 1 || vs[0].AnalysisVerdict == nil || vs[0].AnalysisVerdict.Outcome != "failed" {
		t.Fatalf("analysis-verdict events %+v, want one, failed", vs)
	}
	ms := eventsOf(evs, "analysis")
	last := ms[len(ms)-1].Analysis
	if last == nil || last.Metric != "errors" || last.Outcome != "fail" || len(last.Measurements) != 2 ||
		!strings.Contains(last.Measurements[0].Queries[0], `127\\.0\\.0\\.1:25810`) {
		t.Errorf("last analysis event %+v: want errors failed, canary query on 25810", last)
	}
	rec := lastRecord(t, s.name)
	if rec.Result != release.ResultRolledBack || !strings.Contains(rec.Reason, "the analysis of batch 1 failed") {
		t.Errorf("record: %s, %q; want rolled-back by the analysis", rec.Result, rec.Reason)
	}
	if len(rec.Analysis) != 1 || rec.Analysis[0].Outcome != "failed" || len(rec.Analysis[0].Baseline) != 3 {
		t.Errorf("record's analysis %+v", rec.Analysis)
	}
	s.assertOnlyCanaryRestarted(before)
	if u := s.units()[0]; s.invocations()[u] == before[u] {
		t.Errorf("the canary %s was never restarted", u)
	}
	s.assertAllOn("v1")
	h.AssertAllUp("after the rollback")
	snap := stats.Snapshot()
	done, verdict := verdictTimes(t, evs, "25810")
	t.Logf("load through haproxy: %d requests, %d failed (%s); canary back in traffic %s, verdict %s later: %s",
		snap.Requests, snap.Failed, snap.KindsString(), done.Format("15:04:05.000"), verdict.Sub(done).Round(time.Millisecond), vs[0].Message)
	if snap.Failed != snap.Kinds["http-500"] {
		t.Errorf("%d failed requests, %d of them 500s: something other than the canary's own errors failed (%s)", snap.Failed, snap.Kinds["http-500"], snap.KindsString())
	}
	if snap.Failed == 0 {
		t.Error("no request failed: the canary's 5 % never reached the load")
	}
	// Prometheus' own count agrees: the canary answered every 500 (the
	// client cannot see fewer than were scraped), no other instance any.
	own := promValue(t, s.prom, `max_over_time(hello_requests_total{instance="127.0.0.1:25810",code="500"}[10m])`)
	others := promValue(t, s.prom, `count(hello_requests_total{code="500",instance!="127.0.0.1:25810"})`)
	t.Logf("500s the canary's process last reported to Prometheus: %s; series of 500s on other instances: %s", show(own), show(others))
	if own == nil || *own == 0 || *own > float64(snap.Kinds["http-500"]) || others != nil {
		t.Errorf("canary's 500s per Prometheus %s (clients saw %d), other instances' 500 series %s", show(own), snap.Kinds["http-500"], show(others))
	}
	if float64(snap.Failed) > 0.05*float64(snap.Requests) {
		t.Errorf("%d of %d requests failed: more than the canary's 5 %% of its share", snap.Failed, snap.Requests)
	}
}

// (b) A good release passes the analysis of both batches (the last on its
// absolute bound alone) and completes with no failed request.
func TestAnalysisPassesGoodRelease(t *testing.T) {
	s := &service{t: t, name: "an-good", ports: []int{25815, 25816, 25817, 25818}}
	_, stats, stop := loaded(t, s, 25851, "")
	r := s.deploy("v2", s.release("v2"))
	stop()
	if r.Code != 0 {
		t.Fatalf("deploy: %s", r)
	}
	rec := lastRecord(t, s.name)
	if rec.Result != release.ResultSucceeded || len(rec.Analysis) != 2 ||
		rec.Analysis[0].Outcome != "passed" || rec.Analysis[1].Outcome != "passed" || len(rec.Analysis[1].Baseline) != 0 {
		t.Fatalf("record %s, analysis %+v", rec.Result, rec.Analysis)
	}
	evs := e2etest.ParseEvents(t, r.Stdout)
	done, verdict := verdictTimes(t, evs, "25815")
	snap := stats.Snapshot()
	t.Logf("load: %d requests, %d failed (%s); canary verdict %s after it was back in traffic; batch 1: %s",
		snap.Requests, snap.Failed, snap.KindsString(), verdict.Sub(done).Round(time.Millisecond), rec.Analysis[0].Reason)
	if snap.Failed != 0 {
		t.Errorf("%d requests failed (%s)", snap.Failed, snap.KindsString())
	}
	for in, v := range releasesOf(t, s.name) {
		if v != "v2" {
			t.Errorf("instance %s on %s, want v2", in, v)
		}
	}
	// history shows it, and --json carries it.
	hr := e2etest.Sysroll(t, "history", s.name)
	if !strings.Contains(hr.Stdout, "batch 1 analysis passed") || !strings.Contains(hr.Stdout, "batch 2 analysis passed") {
		t.Errorf("history does not show the analyses:\n%s", hr.Stdout)
	}
}

// (c) A query that matches no series for the canary fails the batch: no
// data is no pass. Here the series of processes that served more than
// 2000 requests since they started: every baseline process has (the test
// waits for it), a canary 3 s old has not, so its result is empty.
func TestAnalysisNoSeriesFails(t *testing.T) {
	s := &service{t: t, name: "an-nodata", ports: []int{25820, 25821, 25822, 25823}}
	_, _, stop := loaded(t, s, 25852, `    - name: warm
      query: sum(hello_requests_total{instance=~"{instances}",code="200"} > 2000)
      max: 1000000000000
`)
	promWait(t, promOf(s), `hello_requests_total{job="hello",code="200"} > 2000`, len(s.ports))
	before := s.invocations()
	r := s.deploy("v2", s.release("v2"))
	stop()
	if r.Code != 1 {
		t.Fatalf("deploy: exit %d, want 1: %s", r.Code, r)
	}
	rec := lastRecord(t, s.name)
	if rec.Result != release.ResultRolledBack || len(rec.Analysis) != 1 || rec.Analysis[0].Outcome != "failed" ||
		!strings.Contains(rec.Analysis[0].Reason, "warm: canary no data") {
		t.Fatalf("record %s, analysis %+v; want the canary failed for no data", rec.Result, rec.Analysis)
	}
	s.assertOnlyCanaryRestarted(before)
	t.Logf("batch 1: %s", rec.Analysis[0].Reason)
}

// (d) A malformed query is refused before anything is touched: exit 2,
// every instance keeps its process.
func TestAnalysisBadQueryRefused(t *testing.T) {
	s := &service{t: t, name: "an-badq", ports: []int{25825, 25826}}
	_, _, stop := loaded(t, s, 25853, "")
	defer stop()
	// Break the errors query (an unclosed parenthesis) now that the rest
	// is proven to work: the preflight must refuse that alone.
	s.analysis = strings.Replace(s.analysis, `[{window}]))`, `[{window}])`, 1)
	s.reapply()
	before := s.invocations()
	r := s.deploy("v2", s.release("v2"))
	if r.Code != 2 {
		t.Fatalf("deploy: exit %d, want 2: %s", r.Code, r)
	}
	if !strings.Contains(r.Stderr, "prometheus refused the query") || !strings.Contains(r.Stderr, "nothing touched") ||
		strings.Count(r.Stderr, "analysis preflight") != 1 || strings.Contains(r.Stderr, "--help") {
		t.Errorf("stderr does not say the query was refused and nothing touched:\n%s", r.Stderr)
	}
	after := s.invocations()
	for u, id := range before {
		if after[u] != id {
			t.Errorf("%s restarted: %s -> %s", u, id, after[u])
		}
	}
	for _, rec := range e2etest.History(t, s.name) {
		if rec.To == "v2" {
			t.Errorf("a rollout to v2 was recorded: %s %s", rec.ID, rec.Result)
		}
	}
	t.Logf("refused: %s", strings.TrimSpace(r.Stderr))
}

// (e) With no Prometheus, the journal provider catches a release that logs
// errors at ten times the baseline's rate.
func TestAnalysisJournalCatchesErrorLogs(t *testing.T) {
	s := &service{t: t, name: "an-journal", ports: []int{25830, 25831, 25832, 25833}}
	s.analysis = `  initial_delay: 3s
  interval: 2s
  count: 3
  window: 30s
  journal:
    max_per_minute: 6000
    vs_baseline: {max_ratio: 2, confidence: 0.99}
`
	e2etest.InstallService(t, s.name, s.file(), s.yaml(), s.release("v1", "--log-errors", "1/s"), "v1")
	waitFor(t, 20*time.Second, s.name+" healthy", func() bool {
		st, err := e2etest.TryStatus(t, s.name)
		return err == nil && st.Healthy == len(s.ports)
	})
	before := s.invocations()
	r := s.deploy("v2", s.release("v2", "--log-errors", "10/s"))
	if r.Code != 1 {
		t.Fatalf("deploy: exit %d, want 1: %s", r.Code, r)
	}
	rec := lastRecord(t, s.name)
	if rec.Result != release.ResultRolledBack || len(rec.Analysis) != 1 || rec.Analysis[0].Outcome != "failed" ||
		!strings.Contains(rec.Analysis[0].Reason, "journal") {
		t.Fatalf("record %s, analysis %+v; want the journal to fail the canary", rec.Result, rec.Analysis)
	}
	s.assertOnlyCanaryRestarted(before)
	evs := e2etest.ParseEvents(t, r.Stdout)
	done, verdict := verdictTimes(t, evs, "25830")
	t.Logf("verdict %s after the canary was back in traffic: %s", verdict.Sub(done).Round(time.Millisecond), rec.Analysis[0].Reason)
}
