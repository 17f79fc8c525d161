//go:build integration

package prom

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/prometheustest"

	"github.com/sysroll/sysroll/internal/analysis"
)

// app is one fake instance: a loopback /metrics whose counters the test
// drives. The error series appears only with the first error, as a
// client_golang CounterVec's does.
type app struct {
	mu       sync.Mutex
	ok, errs int
	started  time.Time // what process_start_time_seconds says
	label    string
	srv      *http.Server
}

func startApp(t *testing.T, started time.Time) *app {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &app{started: started, label: ln.Addr().String()}
	a.srv = &http.Server{Handler: http.HandlerFunc(a.metrics), ReadHeaderTimeout: time.Second}
	go func() { _ = a.srv.Serve(ln) }()
	t.Cleanup(func() { _ = a.srv.Close() })
	return a
}

func (a *app) metrics(w http.ResponseWriter, _ *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fmt.Fprintf(w, "# TYPE req_total counter\nreq_total{code=\"200\"} %d\n", a.ok)
	if a.errs > 0 {
		fmt.Fprintf(w, "req_total{code=\"500\"} %d\n", a.errs)
	}
	fmt.Fprintf(w, "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %.2f\n", float64(a.started.UnixMilli())/1000)
}

// serve counts one request, an error every errEvery-th (0: never).
func (a *app) serve(n, errEvery int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if errEvery > 0 && n%errEvery == 0 {
		a.errs++
	} else {
		a.ok++
	}
}

// startPrometheus runs Debian's prometheus as a child on loopback, scraping
// targets every second (prometheustest.Start), and waits until up is 1
// for every target. It is killed by its PID when the test ends.
func startPrometheus(t *testing.T, targets []string) (*exec.Cmd, string) {
	t.Helper()
	addr := freePort(t)
	start := time.Now()
	cmd, base := prometheustest.Start(t, addr, targets)
	ready := time.Since(start)
	c, err := New(base, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{Q: c}
	waitFor(t, 30*time.Second, "up = 1 for every target", func() bool {
		prob, _, err := p.Fresh(context.Background(), Set{Name: "all", Labels: targets}, time.Now())
		return err == nil && prob == nil
	})
	t.Logf("prometheus %s: ready after %v, every target up after %v", addr, ready.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	return cmd, base
}

// freePort picks a free loopback port in 25700–25799 (the range this test
// owns).
func freePort(t *testing.T) string {
	for p := 25700; p < 25800; p++ {
		addr := fmt.Sprintf("127.0.0.1:%d", p)
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			ln.Close()
			return addr
		}
	}
	t.Fatal("no free port in 25700–25799")
	return ""
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRealPrometheus runs the provider and the judgment against Debian's
// Prometheus scraping five loopback instances every second: good (a clean
// canary), bad (5 % errors), and three baseline instances without errors.
func TestRealPrometheus(t *testing.T) {
	boot := time.Now().Add(-time.Minute)
	good, bad := startApp(t, boot), startApp(t, boot)
	base := []*app{startApp(t, boot), startApp(t, boot), startApp(t, boot)}
	all := []*app{good, bad, base[0], base[1], base[2]}
	var labels []string
	for _, a := range all {
		labels = append(labels, a.label)
	}
	cmd, addr := startPrometheus(t, labels)

	// Traffic: 100 requests per second per instance; bad answers 1 in 20
	// with a 500.
	traffic := time.Now()
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for n := 1; ; n++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			for _, a := range all {
				every := 0
				if a == bad {
					every = 20
				}
				a.serve(n, every)
			}
		}
	}()
	t.Cleanup(func() { stop(); wg.Wait() })

	c, err := New(addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{Q: c, Service: "hello", Window: 2 * time.Minute}
	errorsMetric := analysis.Metric{Name: "errors",
		Errors:   `sum(increase(req_total{instance=~"{instances}",code=~"5.."}[{window}]))`,
		Total:    `sum(increase(req_total{instance=~"{instances}"}[{window}]))`,
		Max:      ptr(0.01),
		MinTotal: 100, VsBaseline: &analysis.VsBaseline{MaxRatio: 2, MaxDelta: 0.002, Confidence: 0.99}}
	relative := errorsMetric // the exact test alone, no absolute max
	relative.Max = nil
	baseline := Set{Name: analysis.Baseline, Labels: labels[2:]}
	canary := func(a *app) Set {
		return Set{Name: analysis.Canary, Labels: []string{a.label}, Since: traffic, Started: map[string]time.Time{a.label: boot}}
	}

	// Analyse like the engine will: a measurement every second after an
	// initial delay of 3 s, each judged against the baseline, until the
	// verdict is reached (count 6).
	analyse := func(t *testing.T, m analysis.Metric, c Set) (analysis.BatchVerdict, time.Duration) {
		run := analysis.NewRun([]string{m.Name}, analysis.Limits{FailureLimit: 0, ConsecutiveErrors: 3})
		time.Sleep(time.Until(traffic.Add(3 * time.Second)))
		for i := 0; i < 6; i++ {
			now := time.Now()
			cm := p.Measure(context.Background(), m, c, now)
			bm := p.Measure(context.Background(), m, baseline, now)
			v := analysis.Judge(m, cm, &bm)
			t.Logf("measurement %d: %s: %s (queries %q)", i+1, v.Outcome, v.Reason, cm.Queries)
			run.Add(v)
			if bv := run.Verdict(); bv.Outcome == analysis.Failed {
				return bv, time.Since(traffic)
			}
			time.Sleep(time.Second)
		}
		return run.Finish(), time.Since(traffic)
	}
	// The baseline has history in real life; here, let two scrapes of
	// traffic land first, else increase() has fewer than two samples.
	time.Sleep(time.Until(traffic.Add(3 * time.Second)))
	t.Run("preflight accepts good queries", func(t *testing.T) {
		err := p.Preflight(context.Background(), PreflightOptions{Metrics: []analysis.Metric{errorsMetric}, Baseline: baseline,
			InitialDelay: 3 * time.Second, Window: 2 * time.Minute}, time.Now())
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
	})
	t.Run("preflight refuses a bad query", func(t *testing.T) {
		broken := errorsMetric
		broken.Total = `sum(increase(req_total{instance=~"{instances}"}[{window}])`
		err := p.Preflight(context.Background(), PreflightOptions{Metrics: []analysis.Metric{broken}, Baseline: baseline,
			InitialDelay: 3 * time.Second, Window: 2 * time.Minute}, time.Now())
		var bq *BadQueryError
		if !errors.As(err, &bq) {
			t.Fatalf("err = %v, want *BadQueryError", err)
		}
		t.Logf("refused: %v", bq)
	})
	t.Run("preflight refuses a wrong instance_label", func(t *testing.T) {
		wrong := Set{Name: analysis.Baseline, Labels: []string{"localhost:1"}}
		err := p.Preflight(context.Background(), PreflightOptions{Metrics: []analysis.Metric{errorsMetric}, Baseline: wrong,
			InitialDelay: 3 * time.Second, Window: 2 * time.Minute}, time.Now())
		var ref *RefusedError
		if !errors.As(err, &ref) || !strings.Contains(err.Error(), "no data") || !strings.Contains(err.Error(), `no scrape target has instance="localhost:1"`) {
			t.Fatalf("err = %v", err)
		}
	})

	// Both canaries are analysed at once, as a batch would be, from the
	// moment traffic started (the batch back in traffic).
	t.Run("analysis", func(t *testing.T) {
		t.Run("good canary passes", func(t *testing.T) {
			t.Parallel()
			bv, took := analyse(t, errorsMetric, canary(good))
			if bv.Outcome != analysis.Passed {
				t.Fatalf("batch %s: %s", bv.Outcome, bv.Reason)
			}
			t.Logf("verdict %s %v after the batch was back in traffic", bv.Outcome, took.Round(time.Millisecond))
		})
		t.Run("5% errors against 0% fails", func(t *testing.T) {
			t.Parallel()
			bv, took := analyse(t, relative, canary(bad))
			if bv.Outcome != analysis.Failed || len(bv.Last) != 1 || bv.Last[0].Outcome != analysis.Fail {
				t.Fatalf("batch %s: %s", bv.Outcome, bv.Reason)
			}
			v := bv.Last[0]
			if !(v.Canary > 0.03 && v.Canary < 0.07) || v.Baseline != 0 || !(v.P < 0.01) {
				t.Errorf("canary ratio %g, baseline %g, p %g; want about 0.05, 0 and significant", v.Canary, v.Baseline, v.P)
			}
			t.Logf("verdict %s %v after the batch was back in traffic: %s", bv.Outcome, took.Round(time.Millisecond), bv.Reason)
		})
		t.Run("5% errors over an absolute max of 1% fails", func(t *testing.T) {
			t.Parallel()
			bv, took := analyse(t, errorsMetric, canary(bad))
			if bv.Outcome != analysis.Failed || !strings.Contains(bv.Reason, "above max 0.01") {
				t.Fatalf("batch %s: %s", bv.Outcome, bv.Reason)
			}
			t.Logf("verdict %s %v after the batch was back in traffic", bv.Outcome, took.Round(time.Millisecond))
		})
	})
	t.Run("a query matching no series fails", func(t *testing.T) {
		none := errorsMetric
		none.Total = `sum(increase(no_such_total{instance=~"{instances}"}[{window}]))`
		none.Errors = `sum(increase(no_such_total{instance=~"{instances}",code=~"5.."}[{window}]))`
		now := time.Now()
		cm, bm := p.Measure(context.Background(), none, canary(good), now), p.Measure(context.Background(), none, baseline, now)
		v := analysis.Judge(none, cm, &bm)
		if v.Outcome != analysis.Fail || cm.Problem == nil || cm.Problem.Cause != analysis.NoData {
			t.Fatalf("%s: %s", v.Outcome, v.Reason)
		}
		t.Logf("%s: %s", v.Outcome, v.Reason)
	})
	t.Run("series of an older process are stale", func(t *testing.T) {
		c := canary(good)
		c.Started = map[string]time.Time{good.label: time.Now()} // systemd says: started just now
		ms := p.Measure(context.Background(), errorsMetric, c, time.Now())
		if ms.Problem == nil || ms.Problem.Cause != analysis.Stale {
			t.Fatalf("measurement %+v, problem %+v; want stale", ms, ms.Problem)
		}
	})
	t.Run("killed prometheus fails after consecutive_errors", func(t *testing.T) {
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		run := analysis.NewRun([]string{"errors"}, analysis.Limits{FailureLimit: 0, ConsecutiveErrors: 3})
		start := time.Now()
		for i := 0; i < 3; i++ {
			now := time.Now()
			cm, bm := p.Measure(context.Background(), errorsMetric, canary(good), now), p.Measure(context.Background(), errorsMetric, baseline, now)
			if !errors.Is(cm.Err, analysis.ErrProvider) {
				t.Fatalf("measurement %d: err %v, want a provider error", i+1, cm.Err)
			}
			run.Add(analysis.Judge(errorsMetric, cm, &bm))
		}
		bv := run.Verdict()
		if bv.Outcome != analysis.Failed || !strings.Contains(bv.Reason, "3 provider errors in a row") {
			t.Fatalf("batch %s: %s", bv.Outcome, bv.Reason)
		}
		t.Logf("%s after %v: %s", bv.Outcome, time.Since(start).Round(time.Millisecond), bv.Reason)
	})
}
