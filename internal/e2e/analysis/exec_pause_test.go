//go:build integration

package analysis

import (
	"context"
	"maps"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
	"github.com/sysroll/sysroll/internal/traffic"
)

// smokeScript asks each address of its arguments (comma-separated) for
// /work three times and fails, naming it, at the first answer that is not
// 200: the smoke test an exec metric runs against {instance_addrs}.
const smokeScript = `#!/bin/sh
set -u
for addr in $(echo "$1" | tr ',' ' '); do
  for i in 1 2 3; do
    code=$(/usr/bin/curl -s -o /dev/null -w '%{http_code}' -X POST "http://$addr/work?ms=1")
    if [ "$code" != 200 ]; then
      echo "GET http://$addr/work: $code"
      exit 1
    fi
  done
done
echo "ok: $1"
`

// eventTimes is when the canary was back in traffic (its first
// instance-done) and when the last analysis-verdict event came.
func eventTimes(t *testing.T, evs []schema.Event, canary string) (done, verdict time.Time, msg string) {
	t.Helper()
	for _, e := range evs {
		if e.Type == "instance-done" && e.Instance == canary && done.IsZero() {
			done = e.Time
		}
		if e.Type == "analysis-verdict" {
			verdict, msg = e.Time, e.Message
		}
	}
	if done.IsZero() || verdict.IsZero() {
		t.Fatalf("no instance-done of %s or no analysis-verdict", canary)
	}
	return done, verdict, msg
}

// (f) An exec metric, a smoke test against the canary's own address, fails
// a release that answers every work request 500 while passing its probes:
// the batch is rolled back, the others never restarted. No Prometheus: the
// command is the whole analysis.
func TestAnalysisExecSmokeFailsCanary(t *testing.T) {
	s := &service{t: t, name: "an-exec", ports: []int{25835, 25836, 25837, 25838}}
	smoke := path.Join(workRoot, s.name, "smoke")
	s.analysis = `  initial_delay: 2s
  interval: 2s
  count: 3
  metrics:
    - name: smoke
      exec: ["` + smoke + `", "{instance_addrs}"]
      timeout: 5s
`
	s.install()
	// The command does not exist yet: refused before anything is touched.
	before := s.invocations()
	r := s.deploy("v1b", s.release("v1b"))
	if r.Code != 2 || !strings.Contains(r.Stderr, "exec "+smoke+": stat") || !strings.Contains(r.Stderr, "nothing touched") {
		t.Errorf("deploy with a missing command: exit %d, want 2 and the command named:\n%s", r.Code, r.Stderr)
	}
	t.Logf("refused: %s", strings.TrimSpace(r.Stderr))
	if after := s.invocations(); !maps.Equal(after, before) {
		t.Errorf("a refused deploy restarted instances: %v -> %v", before, after)
	}
	e2etest.WriteFile(t, smoke, smokeScript, 0o755)
	h := s.haproxy(25854)
	ctx, cancel := context.WithCancel(context.Background())
	gen := &traffic.Generator{URL: h.URL("/work?ms=5"), Concurrency: 4}
	stats, wait := gen.Start(ctx)
	stop := func() { cancel(); wait() }
	t.Cleanup(stop)
	time.Sleep(time.Second)

	// The dry run shows what the batch would get.
	dr := e2etest.Sysroll(t, "deploy", s.name, "--artifact", s.release("v2", "--error-rate", "1.0"), "--version", "v2", "--dry-run")
	if dr.Code != 0 || !strings.Contains(dr.Stdout, "analysis: canary 25835 against baseline 25836, 25837, 25838, 3 measurements 2s apart after 2s: smoke (exec: exit 0)") {
		t.Errorf("dry run (exit %d) does not show the analysis:\n%s", dr.Code, dr.Stdout)
	}
	before = s.invocations()
	r = s.deploy("v2", s.release("v2", "--error-rate", "1.0"))
	stop()
	if r.Code != 1 {
		t.Fatalf("deploy: exit %d, want 1 (rolled back): %s", r.Code, r)
	}
	evs := e2etest.ParseEvents(t, r.Stdout)
	if f := eventsOf(evs, "instance-failed"); len(f) != 0 {
		t.Errorf("%d instance-failed events: a probe failed, but this release passes every probe", len(f))
	}
	rec := lastRecord(t, s.name)
	if rec.Result != release.ResultRolledBack || len(rec.Analysis) != 1 || rec.Analysis[0].Outcome != "failed" ||
		!strings.Contains(rec.Analysis[0].Reason, "smoke: canary exit status: "+smoke+" exited 1: GET http://127.0.0.1:25835/work: 500") {
		t.Fatalf("record %s, analysis %+v; want the smoke test to fail the canary", rec.Result, rec.Analysis)
	}
	if len(rec.Analysis[0].Verdicts) != 1 || len(rec.Analysis[0].Verdicts[0].Measurements) != 1 {
		t.Errorf("verdicts %+v: want one, of the canary alone (no baseline run)", rec.Analysis[0].Verdicts)
	}
	s.assertOnlyCanaryRestarted(before)
	s.assertAllOn("v1")
	h.AssertAllUp("after the rollback")
	snap := stats.Snapshot()
	done, verdict, msg := eventTimes(t, evs, "25835")
	t.Logf("load through haproxy: %d requests, %d failed (%s); canary back in traffic %s, verdict %s later: %s",
		snap.Requests, snap.Failed, snap.KindsString(), done.Format("15:04:05.000"), verdict.Sub(done).Round(time.Millisecond), msg)
	if snap.Failed != snap.Kinds["http-500"] || snap.Failed == 0 {
		t.Errorf("%d failed requests, %d of them 500s: want only (and some of) the canary's 500s", snap.Failed, snap.Kinds["http-500"])
	}
}

// (g) A release that turns bad 20 s after it is ready passes its batch's
// analysis (3 measurements 2 s apart after 3 s), then fails during the
// 60 s pause that follows: the analysis the pause keeps running catches
// it, the pause is breached, the canary rolled back and the rest never
// restarted, well before the pause would have ended.
func TestAnalysisDuringPauseCatchesTurningBad(t *testing.T) {
	s := &service{t: t, name: "an-pause", ports: []int{25840, 25841, 25842, 25843},
		steps: `[{batch: 1}, {pause: 60s}, {batch: "100%"}]`}
	h, stats, stop := loaded(t, s, 25855, "")
	before := s.invocations()
	start := time.Now()
	r := s.deploy("v2", s.release("v2", "--error-rate", "1.0", "--error-after", "20s"))
	took := time.Since(start)
	stop()
	if r.Code != 1 {
		t.Fatalf("deploy: exit %d, want 1 (rolled back): %s", r.Code, r)
	}
	rec := lastRecord(t, s.name)
	if rec.Result != release.ResultRolledBack || !strings.Contains(rec.Reason, "during the pause") {
		t.Errorf("record %s, %q; want rolled back during the pause", rec.Result, rec.Reason)
	}
	if len(rec.Analysis) != 2 || rec.Analysis[0].Outcome != "passed" || rec.Analysis[1].During != "pause" || rec.Analysis[1].Outcome != "failed" ||
		!strings.Contains(rec.Analysis[1].Reason, "errors: canary") {
		t.Fatalf("analyses %+v; want the batch's passed and the pause's failed on errors", rec.Analysis)
	}
	if p := rec.Pauses; len(p) != 1 || p[0].Result != release.PauseFailed || !strings.Contains(p[0].Message, "25840 analysis failed") {
		t.Errorf("pauses %+v", p)
	}
	if took > 55*time.Second {
		t.Errorf("deploy took %v: the breach was not caught before the 60s pause ended", took)
	}
	s.assertOnlyCanaryRestarted(before)
	s.assertAllOn("v1")
	h.AssertAllUp("after the rollback")
	evs := e2etest.ParseEvents(t, r.Stdout)
	done, verdict, msg := eventTimes(t, evs, "25840")
	snap := stats.Snapshot()
	t.Logf("load through haproxy: %d requests, %d failed (%s); canary back in traffic %s, batch analysis %s, pause verdict %s after it was back (errors from ~20s after ready): %s",
		snap.Requests, snap.Failed, snap.KindsString(), done.Format("15:04:05.000"), rec.Analysis[0].Reason, verdict.Sub(done).Round(time.Millisecond), msg)
	if snap.Failed != snap.Kinds["http-500"] || snap.Failed == 0 {
		t.Errorf("%d failed requests, %d of them 500s: want only (and some of) the canary's 500s", snap.Failed, snap.Kinds["http-500"])
	}
}
