package journal

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/analysis"
)

// The testdata files are journalctl -o json output captured from systemd
// 252 in a testbed container (see testdata/README): hello@8081 logged six
// "<3>" lines, one "<2>" and one "<4>" line and plain stdout; hello@8082
// one "<3>" line; hello@8083 only info; hello@8084 a flood that journald
// rate-limited (burst 5 per 2 s).
const (
	canaryID = "f48e7d5a867f4e87ab7fa217e1ea3297"
	floodID  = "0e0bbb8d7cac4055964d54f087ea1716"
)

// fakeRunner answers journalctl calls from testdata by what they match,
// and records the calls.
type fakeRunner struct {
	t     *testing.T
	files map[string]string // match argument (e.g. "_SYSTEMD_UNIT=hello@8082.service") → testdata file
	err   error
	calls [][]string
}

func (f *fakeRunner) Journalctl(_ context.Context, args []string) ([]byte, error) {
	f.calls = append(f.calls, args)
	if f.err != nil {
		return nil, f.err
	}
	var out []byte
	for _, a := range args {
		if name, ok := f.files[a]; ok {
			b, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				f.t.Fatal(err)
			}
			out = append(out, b...)
		}
	}
	return out, nil
}

var window = Window{Since: time.Unix(1796143200, 250000000), Until: time.Unix(1796143260, 250000000)}

func TestCanaryCountsExactlyItsErrors(t *testing.T) {
	r := &fakeRunner{t: t, files: map[string]string{
		"_SYSTEMD_INVOCATION_ID=" + canaryID:       "canary.json",
		"OBJECT_SYSTEMD_INVOCATION_ID=" + canaryID: "empty.json",
	}}
	p := &Provider{R: r}
	ms := p.Canary(context.Background(), []string{canaryID}, window)
	if ms.Err != nil || ms.Problem != nil || ms.Counts == nil {
		t.Fatalf("measurement %+v (problem %+v)", ms, ms.Problem)
	}
	// Six err lines and one crit; the warning, the info lines are not counted.
	if ms.Counts.Events != 7 || ms.Counts.Exposure != 60 {
		t.Errorf("counts %+v, want 7 in 60 instance-seconds", *ms.Counts)
	}
	want := []string{"-o", "json", "--output-fields=PRIORITY,_SYSTEMD_INVOCATION_ID,MESSAGE", "--no-pager", "-q", "-p", "err",
		"--since", "@1796143200.250000", "--until", "@1796143260.250000", "_SYSTEMD_INVOCATION_ID=" + canaryID}
	if len(r.calls) != 2 || strings.Join(r.calls[0], " ") != strings.Join(want, " ") {
		t.Errorf("first call %q, want %q", r.calls, want)
	}
	if got := strings.Join(r.calls[1], " "); !strings.Contains(got, "MESSAGE_ID="+MessageIDDropped) || !strings.Contains(got, "OBJECT_SYSTEMD_INVOCATION_ID="+canaryID) {
		t.Errorf("second call %q does not look for suppressed messages of the canary", got)
	}
	if ms.Set != analysis.Canary || ms.Metric != analysis.JournalMetricName || len(ms.Queries) != 2 {
		t.Errorf("identity %+v", ms)
	}
}

func TestCanaryRateLimitedFails(t *testing.T) {
	r := &fakeRunner{t: t, files: map[string]string{
		"_SYSTEMD_INVOCATION_ID=" + floodID:       "flood.json",
		"OBJECT_SYSTEMD_INVOCATION_ID=" + floodID: "suppressed.json",
	}}
	ms := (&Provider{R: r}).Canary(context.Background(), []string{floodID}, window)
	if ms.Problem == nil || ms.Problem.Cause != analysis.Suppressed || ms.Counts != nil {
		t.Fatalf("measurement %+v, problem %+v; want rate-limited", ms, ms.Problem)
	}
	if !strings.Contains(ms.Problem.Detail, "Suppressed 384 messages from hello@8084.service") || !strings.Contains(ms.Problem.Detail, "17 counted") {
		t.Errorf("detail %q", ms.Problem.Detail)
	}
	v := analysis.Judge(analysis.JournalOptions{MaxPerMinute: ptr(1000)}.JournalMetric(), ms, nil)
	if v.Outcome != analysis.Fail {
		t.Errorf("judged %s: %s", v.Outcome, v.Reason)
	}
}

// Another unit's suppression is not the canary's.
func TestSuppressionOfAnotherInvocationIgnored(t *testing.T) {
	r := &fakeRunner{t: t, files: map[string]string{
		"_SYSTEMD_INVOCATION_ID=" + canaryID:       "canary.json",
		"OBJECT_SYSTEMD_INVOCATION_ID=" + canaryID: "suppressed.json", // a runner that ignores the match
	}}
	ms := (&Provider{R: r}).Canary(context.Background(), []string{canaryID}, window)
	if ms.Problem != nil || ms.Counts == nil || ms.Counts.Events != 7 {
		t.Fatalf("measurement %+v, problem %+v", ms, ms.Problem)
	}
}

func TestBaseline(t *testing.T) {
	r := &fakeRunner{t: t, files: map[string]string{
		"_SYSTEMD_UNIT=hello@8082.service": "baseline.json",
		"_SYSTEMD_UNIT=hello@8083.service": "empty.json",
	}}
	ms := (&Provider{R: r, Priority: "err"}).Baseline(context.Background(), []string{"hello@8082.service", "hello@8083.service"}, window)
	if ms.Err != nil || ms.Problem != nil || ms.Counts == nil || ms.Counts.Events != 1 || ms.Counts.Exposure != 120 {
		t.Fatalf("measurement %+v (counts %+v)", ms, ms.Counts)
	}
	if got := strings.Join(r.calls[0], " "); !strings.Contains(got, "_SYSTEMD_UNIT=hello@8082.service _SYSTEMD_UNIT=hello@8083.service") {
		t.Errorf("call %q", got)
	}
}

// The canary's captured errors against the baseline's, through Judge: 7 per
// minute against 0.5 per instance-minute is above max_per_minute 5.
func TestJudgedFromCapturedOutput(t *testing.T) {
	r := &fakeRunner{t: t, files: map[string]string{
		"_SYSTEMD_INVOCATION_ID=" + canaryID:       "canary.json",
		"OBJECT_SYSTEMD_INVOCATION_ID=" + canaryID: "empty.json",
		"_SYSTEMD_UNIT=hello@8082.service":         "baseline.json",
		"_SYSTEMD_UNIT=hello@8083.service":         "empty.json",
	}}
	p := &Provider{R: r}
	c := p.Canary(context.Background(), []string{canaryID}, window)
	b := p.Baseline(context.Background(), []string{"hello@8082.service", "hello@8083.service"}, window)
	v := analysis.Judge(analysis.JournalOptions{MaxPerMinute: ptr(5), VsBaseline: &analysis.VsBaseline{MaxRatio: 2, Confidence: 0.99}}.JournalMetric(), c, &b)
	if v.Outcome != analysis.Fail || !strings.Contains(v.Reason, "above max") {
		t.Errorf("%s: %s", v.Outcome, v.Reason)
	}
	v = analysis.Judge(analysis.JournalOptions{MaxPerMinute: ptr(10), VsBaseline: &analysis.VsBaseline{MaxRatio: 2, Confidence: 0.99}}.JournalMetric(), c, &b)
	// 7 in 60 s against 1 in 120 s, r = 2: p0 = 0.5, P(Bin(8, 0.5) ≥ 7) ≈ 0.035.
	if v.Outcome != analysis.Pass || !strings.Contains(v.Reason, "not significant (p = 0.0352") {
		t.Errorf("%s: %s", v.Outcome, v.Reason)
	}
}

func TestProblemsAndErrors(t *testing.T) {
	p := &Provider{R: &fakeRunner{t: t, err: errors.New("exit status 1: Failed to add match")}}
	if ms := p.Canary(context.Background(), []string{canaryID}, window); !errors.Is(ms.Err, analysis.ErrProvider) || !strings.Contains(ms.Err.Error(), "Failed to add match") {
		t.Errorf("runner failure: %+v", ms)
	}
	p = &Provider{R: &fakeRunner{t: t, files: map[string]string{"_SYSTEMD_UNIT=x": "../provider_test.go"}}}
	if ms := p.Baseline(context.Background(), []string{"x"}, window); !errors.Is(ms.Err, analysis.ErrProvider) || !strings.Contains(ms.Err.Error(), "line 1") {
		t.Errorf("garbage output: %+v", ms)
	}
	p = &Provider{R: &fakeRunner{t: t}}
	if ms := p.Baseline(context.Background(), nil, window); ms.Problem == nil || ms.Problem.Cause != analysis.NoData {
		t.Errorf("no units: %+v", ms)
	}
	if ms := p.Canary(context.Background(), []string{canaryID}, Window{Since: window.Until, Until: window.Since}); ms.Problem == nil {
		t.Errorf("inverted window: %+v", ms)
	}
	p = &Provider{R: &fakeRunner{t: t}, Priority: "error"}
	if ms := p.Canary(context.Background(), []string{canaryID}, window); ms.Err == nil {
		t.Errorf("bad priority: %+v", ms)
	}
}

// Byte-array values (non-UTF-8) and null values (too large) are read, not
// refused.
func TestParseValueForms(t *testing.T) {
	es, err := parse([]byte(`{"PRIORITY":"3","MESSAGE":[104,105,255],"_SYSTEMD_UNIT":"a.service"}
{"PRIORITY":"2","MESSAGE":null}

`))
	if err != nil || len(es) != 2 || es[0].fields["MESSAGE"] != "hi\xff" || es[0].priority != 3 || es[1].priority != 2 {
		t.Fatalf("parse = %+v, %v", es, err)
	}
}

func ptr(v float64) *float64 { return &v }
