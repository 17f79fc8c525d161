package rollout_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/common/model"

	"github.com/sysroll/sysroll/internal/analysis"
	"github.com/sysroll/sysroll/internal/analysis/prom"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
)

// execMeasurer answers an exec metric: the command fails while any
// instance of the set runs a release in bad. It records every set measured
// and the canary's Started.
type execMeasurer struct {
	w   *world
	bad map[string]bool

	mu      sync.Mutex
	sets    []analysis.Set
	started [][]time.Time
}

func (f *execMeasurer) Preflight(context.Context, analysis.Options, rollout.AnalysisSet, time.Time) error {
	return nil
}

func (f *execMeasurer) Measure(_ context.Context, m analysis.Metric, set rollout.AnalysisSet, r rollout.Round) analysis.Measurement {
	f.mu.Lock()
	f.sets = append(f.sets, set.Name)
	f.started = append(f.started, slices.Clone(set.Started))
	f.mu.Unlock()
	ms := analysis.Measurement{Metric: m.Name, Set: set.Name, At: r.Now}
	for _, in := range set.Instances {
		if f.bad[f.w.running(in)] {
			ms.Problem = analysis.Problemf(analysis.ExitStatus, "/smoke exited 1: 127.0.0.1:%s: 500", in)
			return ms
		}
	}
	zero := 0.0
	ms.Value = &zero
	return ms
}

func execAnalysis(f rollout.Measurer) *rollout.Analysis {
	o := analysis.Options{InitialDelay: 20 * time.Second, Interval: 10 * time.Second, Count: 3,
		Metrics: []analysis.Metric{{Name: "smoke", Exec: []string{"/smoke", "{instance_addrs}"}}}}.WithDefaults()
	return &rollout.Analysis{Options: o, Measurer: f}
}

// An exec metric failing for the canary fails its batch and rolls it back;
// only the canary is measured (an exit status has no baseline), and the
// canary set carries its units' start times.
func TestAnalysisExecFailsCanary(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 4)
		f := &execMeasurer{w: w, bad: map[string]bool{"v2": true}}
		spec := w.spec("v2")
		spec.Strategy = canaryRamp()
		deps := w.deps()
		deps.Analysis = execAnalysis(f)
		rec, err := rollout.Run(t.Context(), spec, deps)
		ae, ok := errors.AsType[*rollout.AnalysisFailedError](err)
		if !ok || ae.Batch != 0 || rec.Result != release.ResultRolledBack {
			t.Fatalf("Run = %v, %v; want the exec metric to fail batch 1", rec.Result, err)
		}
		if !strings.Contains(ae.Verdict.Reason, "/smoke exited 1: 127.0.0.1:8081: 500") {
			t.Errorf("reason %q does not quote the command's failure", ae.Verdict.Reason)
		}
		w.assertSettled(all(w, "v1"))
		w.assertUntouched("8082", "8083", "8084")
		if len(f.sets) != 1 || f.sets[0] != analysis.Canary {
			t.Errorf("measured %v, want the canary once (failure_limit 0)", f.sets)
		}
		if len(f.started) != 1 || len(f.started[0]) != 1 || f.started[0][0].IsZero() {
			t.Errorf("canary Started %v, want the unit's ExecMainStartTimestamp", f.started)
		}
	})
}

// A passing exec metric lets every batch through.
func TestAnalysisExecPasses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 4)
		f := &execMeasurer{w: w, bad: map[string]bool{}}
		spec := w.spec("v2")
		spec.Strategy = canaryRamp()
		deps := w.deps()
		deps.Analysis = execAnalysis(f)
		rec, err := rollout.Run(t.Context(), spec, deps)
		if err != nil || rec.Result != release.ResultSucceeded {
			t.Fatalf("Run = %v, %v", rec.Result, err)
		}
		if slices.Contains(f.sets, analysis.Baseline) || len(f.sets) != 6 {
			t.Errorf("measured %v, want the canary 3 times per batch and never the baseline", f.sets)
		}
	})
}

// Providers' preflight refuses an exec command that does not exist, exit 2
// before anything is touched, without running anything.
func TestProvidersPreflightExecMissing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 4)
		spec := w.spec("v2")
		spec.Strategy = canaryRamp()
		deps := w.deps()
		deps.Analysis = execAnalysis(&rollout.Providers{})
		deps.Analysis.Options.Metrics[0].Exec[0] = "/nonexistent/smoke"
		_, err := rollout.Run(t.Context(), spec, deps)
		re, ok := errors.AsType[*rollout.AnalysisRefusedError](err)
		if !ok || !strings.Contains(re.Error(), "analysis.metrics[0] (smoke): exec /nonexistent/smoke:") {
			t.Fatalf("Run = %v, want the analysis refused for the missing command", err)
		}
		w.assertUntouched(w.inst...)
	})
}

// stubProm answers the freshness queries for one instance: up 1, scraped
// now, and a process_start_time_seconds of processStart; the metric's own
// query returns 0.5.
type stubProm struct {
	processStart time.Time
	asked        []string
}

func (s *stubProm) Query(_ context.Context, q string, at time.Time) (model.Value, []string, error) {
	s.asked = append(s.asked, q)
	v := model.SampleValue(0.5)
	switch {
	case strings.HasPrefix(q, "up{"):
		v = 1
	case strings.HasPrefix(q, "timestamp(up"):
		v = model.SampleValue(at.Unix())
	case strings.HasPrefix(q, "process_start_time_seconds"):
		v = model.SampleValue(s.processStart.Unix())
	}
	return model.Vector{{Metric: model.Metric{"instance": "127.0.0.1:8081"}, Value: v}}, nil, nil
}

func (s *stubProm) Targets(context.Context) ([]prom.Target, error) { return nil, nil }

// Providers hand the canary's systemd start times to Prometheus' freshness
// check: series from a process started before systemd's start of the unit
// are stale, a fresh process's pass.
func TestProvidersCanaryStarted(t *testing.T) {
	now := time.Now()
	started := now.Add(-30 * time.Second)
	m := analysis.Metric{Name: "p99", Query: `q{instance=~"{instances}"}`, Max: new(1.0)}
	set := rollout.AnalysisSet{Name: analysis.Canary, Instances: []string{"8081"}, Started: []time.Time{started}}
	r := rollout.Round{Since: started.Add(time.Second), Now: now}
	for _, c := range []struct {
		name         string
		processStart time.Time
		stale        bool
	}{
		{"older process is stale", started.Add(-time.Hour), true},
		{"the new process passes", started, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			q := &stubProm{processStart: c.processStart}
			p := &rollout.Providers{Prom: &prom.Provider{Q: q, Service: "hello", Window: time.Minute}, InstanceLabel: "127.0.0.1:{port}"}
			ms := p.Measure(t.Context(), m, set, r)
			if stale := ms.Problem != nil && ms.Problem.Cause == analysis.Stale; stale != c.stale || ms.Err != nil {
				t.Errorf("measurement %+v (problem %v), want stale %v", ms, ms.Problem, c.stale)
			}
			if !slices.ContainsFunc(q.asked, func(s string) bool { return strings.HasPrefix(s, "process_start_time_seconds") }) {
				t.Errorf("asked %q: no freshness check against systemd's start", q.asked)
			}
		})
	}
}
