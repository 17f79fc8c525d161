package exec

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/analysis"
)

// fakeRunner answers every run with res and err, and records what it ran.
type fakeRunner struct {
	res      Result
	err      error
	block    bool // wait for ctx's end, then return its error
	argv     []string
	env      []string
	deadline time.Duration
}

func (f *fakeRunner) Run(ctx context.Context, argv, env []string) (Result, error) {
	f.argv, f.env = argv, env
	if d, ok := ctx.Deadline(); ok {
		f.deadline = time.Until(d).Round(time.Second)
	}
	if f.block {
		<-ctx.Done()
		return f.res, ctx.Err()
	}
	return f.res, f.err
}

func TestExpand(t *testing.T) {
	got := Expand([]string{"/s", "--targets", "{instance_addrs}", "--of={service}:{instances}", "{window}", "{unknown}"},
		Vars{Instances: []string{"8081", "8082"}, Addrs: []string{"127.0.0.1:8081", "127.0.0.1:8082"}, Service: "hello", Window: 30 * time.Second})
	want := []string{"/s", "--targets", "127.0.0.1:8081,127.0.0.1:8082", "--of=hello:8081,8082", "30s", "{unknown}"}
	if !slices.Equal(got, want) {
		t.Errorf("Expand = %q, want %q", got, want)
	}
}

func TestMeasure(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	m := analysis.Metric{Name: "smoke", Exec: []string{"/smoke", "{instance_addrs}", "{window}"}, Timeout: 7 * time.Second}
	for _, c := range []struct {
		name    string
		r       *fakeRunner
		outcome analysis.Outcome
		reason  string // in the verdict's reason
	}{
		{"exit 0 passes", &fakeRunner{}, analysis.Pass, "smoke: canary passed (exit status 0)"},
		{"exit 1 fails with the last two lines", &fakeRunner{res: Result{ExitCode: 1, Output: []byte("one\ntwo\n\nthree: 500\n")}},
			analysis.Fail, "smoke: canary exit status: /smoke exited 1: two / three: 500"},
		{"silent failure says so", &fakeRunner{res: Result{ExitCode: 137}}, analysis.Fail, "/smoke exited 137 (no output)"},
		{"not found is a provider error", &fakeRunner{err: os.ErrNotExist}, analysis.Error, "not measured: provider error: /smoke: file does not exist"},
		{"timeout is a provider error", &fakeRunner{block: true, res: Result{Output: []byte("waiting\n")}}, analysis.Error,
			"not measured: provider error: /smoke: killed after its timeout 7s: waiting"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := &Provider{R: c.r, Service: "hello", Window: 2 * time.Minute, Addr: func(in string) string { return "127.0.0.1:" + in }}
			mm := m
			if c.r.block {
				mm.Timeout = 10 * time.Millisecond
			}
			ms := p.Measure(t.Context(), mm, analysis.Canary, []string{"8081", "8082"}, t0, t0.Add(45*time.Second))
			if c.r.block {
				// The timeout message names the metric's timeout.
				c.reason = strings.Replace(c.reason, "7s", "10ms", 1)
			}
			v := analysis.Judge(mm, ms, nil)
			if v.Outcome != c.outcome || !strings.Contains(v.Reason, c.reason) {
				t.Errorf("verdict %s %q, want %s containing %q", v.Outcome, v.Reason, c.outcome, c.reason)
			}
			if want := []string{"/smoke", "127.0.0.1:8081,127.0.0.1:8082", "45s"}; !slices.Equal(c.r.argv, want) {
				t.Errorf("ran %q, want %q", c.r.argv, want)
			}
			if !slices.Contains(c.r.env, "SYSROLL_INSTANCES=8081,8082") {
				t.Errorf("env %q lacks SYSROLL_INSTANCES", c.r.env)
			}
			if !c.r.block && c.r.deadline != 7*time.Second {
				t.Errorf("ran with a deadline %v away, want the metric's timeout 7s", c.r.deadline)
			}
			if len(ms.Queries) != 1 || ms.Queries[0] != "/smoke 127.0.0.1:8081,127.0.0.1:8082 45s" {
				t.Errorf("Queries = %q", ms.Queries)
			}
		})
	}
}

// A run stopped because the rollout was interrupted is not a timeout.
func TestMeasureCancelledIsNoTimeout(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	p := &Provider{R: &fakeRunner{block: true}}
	ms := p.Measure(ctx, analysis.Metric{Name: "smoke", Exec: []string{"/smoke"}, Timeout: time.Hour}, analysis.Canary, nil, time.Time{}, time.Now())
	if ms.Err == nil || !errors.Is(ms.Err, context.Canceled) || strings.Contains(ms.Err.Error(), "timeout") {
		t.Errorf("Err = %v, want the cancellation", ms.Err)
	}
}

func TestTailAndQuote(t *testing.T) {
	long := strings.Repeat("x", 300)
	if got := Tail([]byte("a\n" + long + "\n")); len(got) != 2 || got[0] != "a" || len(got[1]) != tailChars+len("…") {
		t.Errorf("Tail = %q", got)
	}
	if got := quote([]string{"/s", "a b", "it's", ""}); got != `/s 'a b' 'it'\''s' ''` {
		t.Errorf("quote = %s", got)
	}
}

func TestClip(t *testing.T) {
	t0 := time.Unix(1000, 0)
	for _, c := range []struct {
		since time.Time
		now   time.Time
		want  time.Duration
	}{
		{t0, t0.Add(1500 * time.Millisecond), 2 * time.Second},
		{t0, t0.Add(time.Hour), time.Minute},
		{time.Time{}, t0, time.Minute},
		{t0, t0, time.Second},
	} {
		if got := clip(time.Minute, c.since, c.now); got != c.want {
			t.Errorf("clip(1m, %v after) = %v, want %v", c.now.Sub(c.since), got, c.want)
		}
	}
}
