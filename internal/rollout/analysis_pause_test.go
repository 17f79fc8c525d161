package rollout_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sysroll/sysroll/internal/analysis"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
)

// turningMeasurer serves the ratio metric of analysisOf: every instance
// answers 200 requests per 10s; a process on v2 errs at 0.1 % until badAt,
// then at 50 % (zero badAt: never). It records the sets of each round.
type turningMeasurer struct {
	w     *world
	badAt time.Time

	mu   sync.Mutex
	sets map[analysis.Set][][]string
}

func (f *turningMeasurer) Preflight(context.Context, analysis.Options, rollout.AnalysisSet, time.Time) error {
	return nil
}

func (f *turningMeasurer) Measure(_ context.Context, m analysis.Metric, set rollout.AnalysisSet, r rollout.Round) analysis.Measurement {
	f.mu.Lock()
	if f.sets == nil {
		f.sets = map[analysis.Set][][]string{}
	}
	f.sets[set.Name] = append(f.sets[set.Name], slices.Clone(set.Instances))
	f.mu.Unlock()
	rate := 0.001
	if !f.badAt.IsZero() && !r.Now.Before(f.badAt) {
		rate = 0.5
	}
	c := analysis.Counts{}
	for _, in := range set.Instances {
		n := 200 * r.Now.Sub(r.Since).Seconds() / 10
		c.Exposure += n
		if f.w.running(in) == "v2" {
			c.Events += n * rate
		} else {
			c.Events += n * 0.001
		}
	}
	return analysis.Measurement{Metric: m.Name, Set: set.Name, At: r.Now, Counts: &c}
}

// A canary that turns bad during a timed pause, after its batch's analysis
// passed, is caught by the analysis the pause keeps running: the pause is
// breached, the canary rolled back, the rest never touched.
func TestPauseAnalysisCatchesCanaryTurningBad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		start := time.Now()
		// Batch 1 is back at 7s, its analysis ends at 47s (20s + 2 × 10s);
		// the release turns bad 25s into the 60s pause.
		f := &turningMeasurer{w: w, badAt: start.Add(72 * time.Second)}
		deps := w.deps()
		deps.Analysis = analysisOf(nil, nil)
		deps.Analysis.Measurer = f
		rec, err := rollout.Run(t.Context(), pauseSpec(w, 60*time.Second), deps)
		if err == nil || rec.Result != release.ResultRolledBack {
			t.Fatalf("Run = %v, result %s; want the pause breached and the canary rolled back", err, rec.Result)
		}
		w.assertSettled(all(w, "v1"))
		w.assertUntouched("8082", "8083")
		p := rec.Pauses[0]
		if p.Result != release.PauseFailed || !strings.Contains(p.Message, "8081 analysis failed") || !strings.Contains(p.Message, "errors: canary") {
			t.Errorf("pause %s: %q, want failed by the analysis with the verdict's reason", p.Result, p.Message)
		}
		if len(rec.Analysis) != 2 || rec.Analysis[0].Outcome != "passed" || rec.Analysis[0].During != "" {
			t.Fatalf("record's analyses %+v, want the batch's (passed) and the pause's", rec.Analysis)
		}
		pa := rec.Analysis[1]
		if pa.During != rollout.DuringPause || pa.Batch != 0 || pa.Outcome != "failed" || !slices.Equal(pa.Canary, []string{"8081"}) ||
			!slices.Equal(pa.Baseline, []string{"8082", "8083"}) || pa.Measured != 3 {
			t.Errorf("pause analysis %+v, want failed at its 3rd round (75s), canary 8081 vs 8082, 8083", pa)
		}
		if end, ok := w.eventAt(rollout.EventPauseEnd); !ok || end.Sub(start) != 77*time.Second {
			t.Errorf("pause ended %v after the start, want 77s (rounds at 57s, 67s, 77s)", end.Sub(start))
		}
		if !strings.Contains(rec.Reason, "during the pause") {
			t.Errorf("reason %q", rec.Reason)
		}
	})
}

// A release that stays good is measured every interval of the pause, and
// the pause's analysis is recorded passed.
func TestPauseAnalysisPasses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		f := &turningMeasurer{w: w}
		deps := w.deps()
		deps.Analysis = analysisOf(nil, nil)
		deps.Analysis.Measurer = f
		// A 65s pause from 47s: rounds at 57s, ..., 107s; it ends at 112s
		// (no round coincides with its end).
		rec, err := rollout.Run(t.Context(), pauseSpec(w, 65*time.Second), deps)
		if err != nil || rec.Result != release.ResultSucceeded {
			t.Fatalf("Run = %v, result %s", err, rec.Result)
		}
		var pa *release.BatchAnalysis
		for i, a := range rec.Analysis {
			if a.During == rollout.DuringPause {
				pa = &rec.Analysis[i]
			}
		}
		if pa == nil || pa.Outcome != "passed" || pa.Measured != 6 || len(pa.Verdicts) != 6 {
			t.Errorf("pause analysis %+v, want passed after 6 rounds of a 65s pause 10s apart", pa)
		}
		if rec.Pauses[0].Result != release.PausePassed {
			t.Errorf("pause %+v", rec.Pauses[0])
		}
	})
}

// A long pause's analysis counts every round but the record keeps the
// last ten: a day's pause must not grow the record by every round.
func TestPauseAnalysisKeepsLastRounds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		deps := w.deps()
		deps.Analysis = analysisOf(nil, nil)
		deps.Analysis.Measurer = &turningMeasurer{w: w}
		// 305s: rounds 10s apart from the pause's start, the 30th at 300s,
		// none at its end (a round and the end at the same instant race).
		rec, err := rollout.Run(t.Context(), pauseSpec(w, 305*time.Second), deps)
		if err != nil || rec.Result != release.ResultSucceeded {
			t.Fatalf("Run = %v, result %s", err, rec.Result)
		}
		for _, a := range rec.Analysis {
			if a.During == rollout.DuringPause && (a.Measured != 30 || len(a.Verdicts) != 10) {
				t.Errorf("pause analysis: %d rounds, %d verdicts kept; want 30 and the last 10", a.Measured, len(a.Verdicts))
			}
		}
	})
}

// A rollback moves no instance to a release that needs judging: its pauses
// are watched, not analysed.
func TestPauseAnalysisOnlyForDeploys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		f := &turningMeasurer{w: w, badAt: time.Now()}
		deps := w.deps()
		deps.Analysis = analysisOf(nil, nil)
		deps.Analysis.Measurer = f
		spec := pauseSpec(w, 30*time.Second)
		spec.Kind = release.KindRollback
		rec, err := rollout.Run(t.Context(), spec, deps)
		if err != nil || rec.Result != release.ResultSucceeded || len(rec.Analysis) != 0 || len(f.sets) != 0 {
			t.Errorf("rollback: %v, %s, analyses %+v, measured %v", err, rec.Result, rec.Analysis, f.sets)
		}
	})
}

// A promote during the pause ends its analysis with the pause: recorded
// passed, after the rounds it took.
func TestPauseAnalysisEndsWithPromote(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		rq := &requests{}
		deps := w.deps()
		deps.Requests = rq
		deps.Analysis = analysisOf(nil, nil)
		deps.Analysis.Measurer = &turningMeasurer{w: w}
		// The pause begins at 47s; rounds at 57s and 67s, promoted at 70s.
		time.AfterFunc(70*time.Second, func() { rq.put(release.Request{Action: release.RequestPromote, Pause: 0, By: "dan"}) })
		rec, err := rollout.Run(t.Context(), pauseSpec(w, 10*time.Minute), deps)
		if err != nil || rec.Result != release.ResultSucceeded || rec.Pauses[0].Result != release.PausePromoted {
			t.Fatalf("Run = %v, result %s, pause %+v", err, rec.Result, rec.Pauses[0])
		}
		pa := rec.Analysis[1]
		if pa.During != rollout.DuringPause || pa.Outcome != "passed" || pa.Measured != 2 || !strings.Contains(pa.Reason, "promote") {
			t.Errorf("pause analysis %+v", pa)
		}
	})
}
