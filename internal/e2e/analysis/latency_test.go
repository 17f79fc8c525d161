//go:build integration

package analysis

import (
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
)

// p99 is a value metric with bounds: the canary's p99 latency from the
// hello_request_seconds histogram, against the untouched instances'.
const p99 = `    - name: p99
      query: histogram_quantile(0.99, sum by (le) (rate(hello_request_seconds_bucket{instance=~"{instances}"}[{window}])))
      max: 0.2
      vs_baseline: {max_ratio: 1.5, max_delta: 0.02}
`

// (g) A release 80 ms slower on every work request passes every probe and
// serves no error, but its p99 is judged against the baseline's and the
// canary is rolled back; the other instances are never restarted.
func TestAnalysisCatchesLatencyAtCanary(t *testing.T) {
	s := &service{t: t, name: "an-slow", ports: []int{25845, 25846, 25847, 25848}}
	h, stats, stop := loaded(t, s, 25856, p99)
	before := s.invocations()
	r := s.deploy("v2", s.release("v2", "--latency", "80ms"))
	stop()
	if r.Code != 1 {
		t.Fatalf("deploy of the slow release: exit %d, want 1 (rolled back): %s", r.Code, r)
	}
	evs := e2etest.ParseEvents(t, r.Stdout)
	if f := eventsOf(evs, "instance-failed"); len(f) != 0 {
		t.Errorf("%d instance-failed events: this release passes every probe", len(f))
	}
	vs := eventsOf(evs, "analysis-verdict")
	if len(vs) != 1 || vs[0].AnalysisVerdict == nil || vs[0].AnalysisVerdict.Outcome != "failed" || !strings.Contains(vs[0].Message, "p99") {
		t.Fatalf("analysis-verdict events %+v, want one, failed on p99", vs)
	}
	if rec := lastRecord(t, s.name); rec.Result != release.ResultRolledBack {
		t.Errorf("record: %s, %q", rec.Result, rec.Reason)
	}
	s.assertOnlyCanaryRestarted(before)
	h.AssertAllUp("after the rollback")
	snap := stats.Snapshot()
	done, verdict := verdictTimes(t, evs, "25845")
	t.Logf("load through haproxy: %d requests, %d failed (%s), p99 %s; verdict %s after the canary was back in traffic: %s",
		snap.Requests, snap.Failed, snap.KindsString(), snap.P99.Round(time.Millisecond), verdict.Sub(done).Round(time.Millisecond), vs[0].Message)
	if snap.Failed != 0 {
		t.Errorf("%d requests failed: a slow release must not fail any", snap.Failed)
	}
}

// (h) kill -9 during the canary's analysis: `deploy --resume` judges the
// canary again, from the start, before the next batch goes, and a release
// with 5 % errors is rolled back then, never waved through.
func TestResumeAfterKillReanalyzes(t *testing.T) {
	s := &service{t: t, name: "an-kill", ports: []int{25827, 25828, 25829}}
	_, stats, stop := loaded(t, s, 25857, "")
	before := s.invocations()
	b := e2etest.StartSysroll(t, "deploy", s.name, "--artifact", s.release("v2", "--error-rate", "0.05"), "--version", "v2", "--json")
	b.WaitEvent(60*time.Second, func(e schema.Event) bool { return e.Type == "analysis-start" })
	b.Signal("KILL")
	if r := b.Wait(10 * time.Second); r.Code == 0 {
		t.Fatalf("sysroll exited 0 after kill -9: %s", r)
	}
	rec := lastRecord(t, s.name)
	if len(rec.Analysis) != 1 || rec.Analysis[0].Outcome != "running" {
		t.Fatalf("record after the kill: %s, analysis %+v", rec.Result, rec.Analysis)
	}
	r := e2etest.Sysroll(t, "deploy", s.name, "--resume", "--json")
	stop()
	if r.Code != 1 {
		t.Fatalf("deploy --resume: exit %d, want 1 (the canary's analysis failed): %s", r.Code, r)
	}
	last := lastRecord(t, s.name)
	if last.ID != rec.ID || last.Result != release.ResultRolledBack || last.Analysis[0].Outcome != "failed" {
		t.Errorf("record after resume: %s %s, analysis %+v", last.ID, last.Result, last.Analysis)
	}
	s.assertOnlyCanaryRestarted(before)
	snap := stats.Snapshot()
	t.Logf("load: %d requests, %d failed (%s); resume: %s", snap.Requests, snap.Failed, snap.KindsString(), last.Reason)
	if snap.Failed != snap.Kinds["http-500"] {
		t.Errorf("failures other than the canary's 500s: %s", snap.KindsString())
	}
}
