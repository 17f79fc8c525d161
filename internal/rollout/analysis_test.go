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

	"github.com/sysroll/sysroll/internal/analysis"
	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
)

// fakeMeasurer serves a ratio metric from the releases the world's
// processes run: each instance answers perRound requests per round, with
// errRate[release] of them errors; preflight returns preErr.
type fakeMeasurer struct {
	w        *world
	perRound float64
	errRate  map[string]float64
	preErr   error
	noData   bool // the canary's total has no series

	mu       sync.Mutex
	preflown []string
	sets     map[analysis.Set][][]string
}

func (f *fakeMeasurer) Preflight(_ context.Context, _ analysis.Options, b rollout.AnalysisSet, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.preflown = slices.Clone(b.Instances)
	return f.preErr
}

func (f *fakeMeasurer) Measure(_ context.Context, m analysis.Metric, set rollout.AnalysisSet, r rollout.Round) analysis.Measurement {
	f.mu.Lock()
	if f.sets == nil {
		f.sets = map[analysis.Set][][]string{}
	}
	f.sets[set.Name] = append(f.sets[set.Name], slices.Clone(set.Instances))
	f.mu.Unlock()
	ms := analysis.Measurement{Metric: m.Name, Set: set.Name, At: r.Now, Queries: []string{"q{" + strings.Join(set.Instances, "|") + "}"}}
	if f.noData && set.Name == analysis.Canary {
		ms.Problem = analysis.Problemf(analysis.NoData, "total: empty vector")
		return ms
	}
	rounds := r.Now.Sub(r.Since).Seconds() / 10
	c := analysis.Counts{}
	for _, in := range set.Instances {
		c.Exposure += f.perRound * rounds
		c.Events += f.perRound * rounds * f.errRate[f.w.running(in)]
	}
	ms.Counts = &c
	return ms
}

func analysisOf(f *fakeMeasurer, mod func(*analysis.Options)) *rollout.Analysis {
	o := analysis.Options{
		InitialDelay: 20 * time.Second, Interval: 10 * time.Second, Count: 3,
		Metrics: []analysis.Metric{{Name: "errors", Errors: "e{instances}", Total: "t{instances}",
			Max: new(0.03), VsBaseline: &analysis.VsBaseline{MaxRatio: 2, MaxDelta: 0.002}}},
		Prometheus: &analysis.PrometheusOptions{Address: "http://127.0.0.1:9090", InstanceLabel: "127.0.0.1:{port}"},
	}
	if mod != nil {
		mod(&o)
	}
	o = o.WithDefaults()
	return &rollout.Analysis{Options: o, Measurer: f}
}

func canaryRamp() rollout.Strategy {
	return rollout.Strategy{Ramp: []config.Step{{N: 1}, {N: 3}}, FailureBudget: 3}
}

func eventsOf(w *world, t rollout.EventType) []rollout.Event {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []rollout.Event
	for _, e := range w.events {
		if e.Type == t {
			out = append(out, e)
		}
	}
	return out
}

// A release whose probes all pass but serves 5 % errors is caught at the
// canary and rolled back, the failure budget notwithstanding; the
// untouched instances are never restarted.
func TestAnalysisFailsCanaryDespiteBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 4)
		f := &fakeMeasurer{w: w, perRound: 200, errRate: map[string]float64{"v1": 0.001, "v2": 0.05}}
		spec := w.spec("v2")
		spec.Strategy = canaryRamp()
		deps := w.deps()
		deps.Analysis = analysisOf(f, nil)
		rec, err := rollout.Run(t.Context(), spec, deps)
		ae, ok := errors.AsType[*rollout.AnalysisFailedError](err)
		if !ok || ae.Batch != 0 || ae.Verdict.Outcome != analysis.Failed {
			t.Fatalf("Run = %v, want an analysis failure of batch 1", err)
		}
		if rec.Result != release.ResultRolledBack || !strings.Contains(rec.Reason, "analysis of batch 1 failed") ||
			!strings.Contains(rec.Reason, "no failure budget") {
			t.Errorf("result %s, reason %q", rec.Result, rec.Reason)
		}
		w.assertSettled(all(w, "v1"))
		w.assertUntouched("8082", "8083", "8084")
		if len(rec.Analysis) != 1 || rec.Analysis[0].Outcome != "failed" || !slices.Equal(rec.Analysis[0].Canary, []string{"8081"}) ||
			!slices.Equal(rec.Analysis[0].Baseline, []string{"8082", "8083", "8084"}) || len(rec.Analysis[0].Verdicts) == 0 {
			t.Errorf("record's analysis %+v", rec.Analysis)
		}
		ms := eventsOf(w, rollout.EventAnalysis)
		if len(ms) == 0 || ms[len(ms)-1].Verdict == nil || ms[len(ms)-1].Verdict.Outcome != analysis.Fail {
			t.Errorf("analysis events %+v", ms)
		}
		vs := eventsOf(w, rollout.EventAnalysisVerdict)
		if len(vs) != 1 || vs[0].BatchVerdict == nil || vs[0].BatchVerdict.Outcome != analysis.Failed {
			t.Errorf("analysis-verdict events %+v", vs)
		}
	})
}

// A good release passes every batch's analysis and completes; the last
// batch, with no baseline left, is judged on absolute bounds only.
func TestAnalysisPassesGoodRelease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 4)
		f := &fakeMeasurer{w: w, perRound: 200, errRate: map[string]float64{"v1": 0.001, "v2": 0.001}}
		spec := w.spec("v2")
		spec.Strategy = canaryRamp()
		deps := w.deps()
		deps.Analysis = analysisOf(f, nil)
		start := time.Now()
		rec, err := rollout.Run(t.Context(), spec, deps)
		if err != nil || rec.Result != release.ResultSucceeded {
			t.Fatalf("Run = %v, %v", rec.Result, err)
		}
		w.assertSettled(all(w, "v2"))
		if len(rec.Analysis) != 2 || rec.Analysis[0].Outcome != "passed" || rec.Analysis[1].Outcome != "passed" ||
			len(rec.Analysis[1].Baseline) != 0 || rec.Analysis[0].Measured != 3 {
			t.Errorf("record's analysis %+v", rec.Analysis)
		}
		if len(f.sets[analysis.Baseline]) != 3 { // the last batch measures no baseline
			t.Errorf("baseline measured %d times, want 3 (first batch only)", len(f.sets[analysis.Baseline]))
		}
		if !slices.Equal(f.preflown, w.inst) {
			t.Errorf("preflight against %v, want every instance", f.preflown)
		}
		// 2 batches × (initial_delay 20s + 2 intervals of 10s) at least.
		if took := time.Since(start); took < 80*time.Second {
			t.Errorf("took %v: the analysis did not wait its schedule", took)
		}
	})
}

// A canary query matching no series fails the batch rather than passing it.
func TestAnalysisNoDataFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 4)
		f := &fakeMeasurer{w: w, perRound: 200, errRate: map[string]float64{}, noData: true}
		spec := w.spec("v2")
		spec.Strategy = canaryRamp()
		deps := w.deps()
		deps.Analysis = analysisOf(f, nil)
		rec, err := rollout.Run(t.Context(), spec, deps)
		if _, ok := errors.AsType[*rollout.AnalysisFailedError](err); !ok || rec.Result != release.ResultRolledBack {
			t.Fatalf("Run = %v, %v; want the analysis to fail the canary", rec.Result, err)
		}
		if !strings.Contains(rec.Analysis[0].Reason, "no data") {
			t.Errorf("reason %q does not name the cause", rec.Analysis[0].Reason)
		}
		w.assertSettled(all(w, "v1"))
	})
}

// Thin traffic is inconclusive; on_inconclusive: fail fails the batch.
func TestAnalysisInconclusiveFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 4)
		f := &fakeMeasurer{w: w, perRound: 5, errRate: map[string]float64{}}
		spec := w.spec("v2")
		spec.Strategy = canaryRamp()
		deps := w.deps()
		deps.Analysis = analysisOf(f, nil)
		rec, err := rollout.Run(t.Context(), spec, deps)
		ae, ok := errors.AsType[*rollout.AnalysisFailedError](err)
		if !ok || ae.Verdict.Outcome != analysis.BatchInconclusive || rec.Result != release.ResultRolledBack {
			t.Fatalf("Run = %v, %v; want inconclusive to fail the batch", rec.Result, err)
		}
	})
}

// With on_inconclusive: pause an inconclusive canary parks the rollout
// (it never promotes by itself); a promote continues it.
func TestAnalysisInconclusivePauses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 4)
		f := &fakeMeasurer{w: w, perRound: 5, errRate: map[string]float64{}}
		spec := w.spec("v2")
		spec.Strategy = canaryRamp()
		deps := w.deps()
		deps.Analysis = analysisOf(f, func(o *analysis.Options) { o.OnInconclusive = analysis.InconclusivePause })
		rec, err := rollout.Run(t.Context(), spec, deps)
		if !errors.Is(err, rollout.ErrPaused) || rec.Result != release.ResultPaused {
			t.Fatalf("Run = %v, %v; want paused", rec.Result, err)
		}
		p := rec.Pauses[0]
		if p.Kind != release.PauseInconclusive || p.After != 0 || p.Result != release.PauseWaiting || !strings.Contains(p.Reason, "inconclusive") {
			t.Errorf("pause %+v", p)
		}
		w.assertSettled(map[string]string{"8081": "v2", "8082": "v1", "8083": "v1", "8084": "v1"})
		rec.Pauses[0].Promotion = &release.Promotion{By: "alice", Reason: "low traffic, logs fine"}
		out, err := rollout.Resume(t.Context(), rec, w.spec(""), deps)
		// The next batch is the rest: its analysis has no baseline left and
		// absolute bounds only, with no traffic: inconclusive, paused again.
		if !errors.Is(err, rollout.ErrPaused) || out.Pauses[0].Result != release.PausePromoted || len(out.Pauses) != 2 {
			t.Fatalf("Resume = %v, %v, pauses %+v", out.Result, err, out.Pauses)
		}
		w.assertSettled(all(w, "v2"))
	})
}

// The analysis preflight refuses before anything is touched, and so does a
// plan whose last batch leaves only baseline-relative bounds.
func TestAnalysisRefusedNothingTouched(t *testing.T) {
	for _, tc := range []struct {
		name string
		pre  error
		mod  func(*analysis.Options)
		want string
	}{
		{"bad query", errors.New("bad_data: parse error"), nil, "bad_data"},
		{"vs_baseline only, last batch", nil, func(o *analysis.Options) { o.Metrics[0].Max = nil }, "batch 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t, 4)
				f := &fakeMeasurer{w: w, perRound: 200, preErr: tc.pre}
				spec := w.spec("v2")
				spec.Strategy = canaryRamp()
				deps := w.deps()
				deps.Analysis = analysisOf(f, tc.mod)
				rec, err := rollout.Run(t.Context(), spec, deps)
				if _, ok := errors.AsType[*rollout.AnalysisRefusedError](err); !ok || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Run = %v, want an *AnalysisRefusedError naming %q", err, tc.want)
				}
				if rec != nil || len(w.restarts()) != 0 || w.jr.phase("8081") != "" {
					t.Errorf("something was touched: record %v, restarts %v", rec, w.restarts())
				}
				w.assertUntouched(w.inst...)
			})
		})
	}
}

// A restart is not analysed: there is no new release to judge.
func TestAnalysisSkipsRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 2)
		f := &fakeMeasurer{w: w, perRound: 200, preErr: errors.New("must not be asked")}
		spec := w.spec("")
		spec.Kind = release.KindRestart
		deps := w.deps()
		deps.Analysis = analysisOf(f, nil)
		rec, err := rollout.Run(t.Context(), spec, deps)
		if err != nil || len(rec.Analysis) != 0 || len(f.sets) != 0 {
			t.Fatalf("Run = %v, analysis %+v, measured %v", err, rec.Analysis, f.sets)
		}
	})
}

// A failure the budget tolerates is reverted first; the batch's other
// instances are then analysed, so a tolerated crash never skips the
// analysis.
func TestAnalysisAfterToleratedFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 4)
		failingRelease(w, "8081", "v2")
		f := &fakeMeasurer{w: w, perRound: 200, errRate: map[string]float64{"v1": 0.001, "v2": 0.05}}
		spec := w.spec("v2")
		spec.Strategy = rollout.Strategy{Ramp: []config.Step{{N: 2}, {N: 2}}, FailureBudget: 1}
		deps := w.deps()
		deps.Analysis = analysisOf(f, nil)
		rec, err := rollout.Run(t.Context(), spec, deps)
		if _, ok := errors.AsType[*rollout.AnalysisFailedError](err); !ok || rec.Result != release.ResultRolledBack {
			t.Fatalf("Run = %v, %v; want the analysis of 8082 to fail the batch", rec.Result, err)
		}
		if got := rec.Analysis[0].Canary; !slices.Equal(got, []string{"8082"}) {
			t.Errorf("canary %v, want [8082] (8081 failed and was reverted)", got)
		}
		w.assertSettled(all(w, "v1"))
		w.assertUntouched("8083", "8084")
	})
}

// The progress deadline bounds the analysis: it fails the batch, which is
// rolled back.
func TestAnalysisProgressDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 4)
		f := &fakeMeasurer{w: w, perRound: 200, errRate: map[string]float64{}}
		spec := w.spec("v2")
		spec.Strategy = canaryRamp()
		spec.Strategy.ProgressDeadline = 30 * time.Second
		deps := w.deps()
		deps.Analysis = analysisOf(f, nil) // 20s + 2 × 10s: longer than what is left
		rec, err := rollout.Run(t.Context(), spec, deps)
		if !errors.Is(err, rollout.ErrProgressDeadline) || rec.Result != release.ResultRolledBack {
			t.Fatalf("Run = %v, %v; want the deadline to fail the batch", rec.Result, err)
		}
		if rec.Analysis[0].Outcome != "failed" || !strings.Contains(rec.Analysis[0].Reason, "during the analysis") {
			t.Errorf("analysis %+v", rec.Analysis[0])
		}
		w.assertSettled(all(w, "v1"))
	})
}

// An interruption during the analysis ends the rollout interrupted, the
// analysis recorded as such, no instance drained.
func TestAnalysisInterrupted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 4)
		f := &fakeMeasurer{w: w, perRound: 200, errRate: map[string]float64{}}
		spec := w.spec("v2")
		spec.Strategy = canaryRamp()
		deps := w.deps()
		deps.Analysis = analysisOf(f, nil)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		deps.Progress = rollout.ProgressFunc(func(e rollout.Event) {
			if e.Type == rollout.EventAnalysis {
				cancel()
			}
		})
		rec, err := rollout.Run(ctx, spec, deps)
		if !errors.Is(err, context.Canceled) || rec.Result != release.ResultInterrupted {
			t.Fatalf("Run = %v, %v; want interrupted", rec.Result, err)
		}
		if rec.Analysis[0].Outcome != "interrupted" {
			t.Errorf("analysis %+v", rec.Analysis[0])
		}
		if d := w.dr.drainedNow(); len(d) != 0 {
			t.Errorf("left drained: %v", d)
		}
	})
}

// A resume after the analysis of a complete batch was interrupted judges
// that batch again before the next one goes: a bad canary is rolled back
// then, never waved through; a good one passes and the rollout completes.
func TestResumeReanalyzesInterruptedBatch(t *testing.T) {
	for _, bad := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			w := newWorld(t, 4)
			f := &fakeMeasurer{w: w, perRound: 200, errRate: map[string]float64{}}
			spec := w.spec("v2")
			spec.Strategy = canaryRamp()
			deps := w.deps()
			deps.Analysis = analysisOf(f, nil)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			deps.Progress = rollout.ProgressFunc(func(e rollout.Event) {
				if e.Type == rollout.EventAnalysis {
					cancel()
				}
			})
			rec, err := rollout.Run(ctx, spec, deps)
			if !errors.Is(err, context.Canceled) || rec.Analysis[0].Outcome != "interrupted" {
				t.Fatalf("Run = %v, analysis %+v", err, rec.Analysis)
			}
			if bad {
				f.mu.Lock()
				f.errRate["v2"] = 0.2 // the canary's errors show once measured again
				f.mu.Unlock()
			}
			deps.Progress = nil
			rs := w.spec("")
			rs.Strategy = canaryRamp()
			out, err := rollout.Resume(t.Context(), rec, rs, deps)
			if bad {
				if _, ok := errors.AsType[*rollout.AnalysisFailedError](err); !ok || out.Result != release.ResultRolledBack {
					t.Fatalf("Resume of a bad canary = %v, %v; want its batch failed by the analysis", out.Result, err)
				}
				w.assertSettled(all(w, "v1"))
				w.assertUntouched("8082", "8083", "8084")
				return
			}
			if err != nil || out.Result != release.ResultSucceeded || out.Analysis[0].Outcome != "passed" {
				t.Fatalf("Resume of a good canary = %v, %v, analysis %+v", out.Result, err, out.Analysis)
			}
			w.assertSettled(all(w, "v2"))
		})
	}
}

// Evaluate: an analysis failure is beyond every budget; the failure action
// applies to the analysed instances.
func TestEvaluateAnalysisFailure(t *testing.T) {
	batches := [][]string{{"a"}, {"b", "c"}}
	for _, tc := range []struct {
		action config.FailureAction
		want   rollout.Action
		revert [][]string
	}{
		{config.ActionRollback, rollout.ActRevert, [][]string{{"a"}}},
		{config.ActionHalt, rollout.ActHalt, nil},
	} {
		d := rollout.Evaluate(rollout.Outcome{Batches: batches, Batch: 0, Failed: []string{"a"}, Analysis: "failed: errors above max"},
			rollout.Strategy{FailureBudget: 5, FailureAction: tc.action})
		if d.Action != tc.want || !slices.EqualFunc(d.Revert, tc.revert, slices.Equal) ||
			!strings.Contains(d.Reason, "the analysis of batch 1 failed (failed: errors above max; no failure budget applies)") {
			t.Errorf("%s: %+v", tc.action, d)
		}
	}
}

// With rollout.steps, the canary's analysis comes before the timed pause
// after it (the pause watches a canary the analysis passed), and a canary
// it fails never reaches the pause.
func TestAnalysisBeforePause(t *testing.T) {
	for _, tc := range []struct {
		name    string
		v2Rate  float64
		result  release.Result
		pausing bool
	}{
		{"passes, then the pause", 0.001, release.ResultSucceeded, true},
		{"fails, no pause", 0.05, release.ResultRolledBack, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t, 4)
				f := &fakeMeasurer{w: w, perRound: 200, errRate: map[string]float64{"v1": 0.001, "v2": tc.v2Rate}}
				spec := pauseSpec(w, 30*time.Second)
				deps := w.deps()
				deps.Analysis = analysisOf(f, nil)
				rec, _ := rollout.Run(t.Context(), spec, deps)
				if rec.Result != tc.result {
					t.Fatalf("result %s, want %s", rec.Result, tc.result)
				}
				types := w.eventTypes()
				verdict, pause := slices.Index(types, rollout.EventAnalysisVerdict), slices.Index(types, rollout.EventPause)
				if verdict < 0 || (pause >= 0) != tc.pausing || (pause >= 0 && verdict > pause) {
					t.Errorf("analysis-verdict is event %d, pause event %d: %v", verdict, pause, types)
				}
			})
		})
	}
}
