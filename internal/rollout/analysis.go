package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/analysis"
	"github.com/sysroll/sysroll/internal/release"
)

// Analysis is the metric analysis run after each batch of a deploy is back
// in traffic (progressive.md 2.4): initial_delay, then count measurements
// interval apart, each metric of the canary (the batch) judged against the
// baseline (the untouched instances). A failed batch verdict fails the
// batch whatever the failure budget: the budget tolerates instances that
// did not come up, not a release that serves badly once they did.
type Analysis struct {
	// Options are the analysis: block, defaults applied and validated.
	Options analysis.Options
	// Measurer takes the measurements (Providers, or a fake).
	Measurer Measurer
}

// AnalysisSet is the instances one measurement is about.
type AnalysisSet struct {
	Name      analysis.Set
	Instances []string
	// Units are the instances' systemd units.
	Units []string
	// Invocations are the canary's InvocationAfter (the processes judged).
	Invocations []string
	// Started are the canary's ExecMainStartTimestamp, by instance (zero
	// when unknown): a series from a process started before is stale.
	Started []time.Time
}

// Round is when a measurement is taken: Since is when the batch went back
// in traffic (the canary's {window} is clipped to it), Now the time of the
// measurement.
type Round struct {
	Since, Now time.Time
}

// Measurer takes the analysis' measurements. It is an interface so the
// engine's tests judge without Prometheus or a journal.
type Measurer interface {
	// Preflight runs once before anything is touched, against baseline
	// (every instance): it refuses an analysis that could not see it.
	Preflight(ctx context.Context, o analysis.Options, baseline AnalysisSet, now time.Time) error
	// Measure takes one measurement of metric m (Name
	// analysis.JournalMetricName for the journal rule) for set.
	Measure(ctx context.Context, m analysis.Metric, set AnalysisSet, r Round) analysis.Measurement
}

// AnalysisRefusedError is an analysis refused before anything was touched:
// a malformed query, a baseline the analysis cannot see, or a batch with no
// baseline for a metric with only baseline-relative bounds. It is bad input
// (exit 2), not a failed rollout.
type AnalysisRefusedError struct {
	Service string
	Err     error
}

func (e *AnalysisRefusedError) Error() string {
	return fmt.Sprintf("analysis of %s refused, nothing touched: %v", e.Service, e.Err)
}

func (e *AnalysisRefusedError) Unwrap() error { return e.Err }

// AnalysisFailedError is a batch whose analysis failed (or was
// inconclusive, with on_inconclusive: fail). It is the Cause of each of
// the batch's instances' *FailedError.
type AnalysisFailedError struct {
	Batch   int
	Verdict analysis.BatchVerdict
}

func (e *AnalysisFailedError) Error() string {
	return fmt.Sprintf("analysis of batch %d %s: %s", e.Batch+1, e.Verdict.Outcome, e.Verdict.Reason)
}

// analyzing says whether this rollout runs the analysis: a deploy with an
// analysis configured. A rollback or a restart moves no instance to a
// release that needs judging, and must not be stopped by one.
func (e *engine) analyzing() bool {
	return e.deps.Analysis != nil && e.spec.Kind == release.KindDeploy
}

// analysisMetrics are what each round judges: the metrics, then the
// journal rule.
func analysisMetrics(o analysis.Options) []analysis.Metric {
	ms := slices.Clone(o.Metrics)
	if o.Journal != nil {
		ms = append(ms, o.Journal.JournalMetric())
	}
	return ms
}

// baselineOf is the baseline of batch b: the instances still pending on
// the rollout's From release, outside the batch (design 2.4 rule 2; the
// preflight before the batch proved them healthy).
func baselineOf(rec *release.Record, b int) []string {
	var out []string
	for _, in := range rec.Instances {
		if in.Phase == release.PhasePending && in.From == rec.From && in.Batch != b && !in.Removed {
			out = append(out, in.Name)
		}
	}
	return out
}

// analysisPreflight runs before anything is touched: every planned batch
// must have a baseline or only absolute bounds (CheckBatch), and the
// Measurer must see the whole fleet as the baseline.
func analysisPreflight(ctx context.Context, spec Spec, a *Analysis, batches [][]string, from map[string]string, rollFrom string) error {
	var errs []error
	for b := range batches {
		has := false
		for _, later := range batches[b+1:] {
			for _, n := range later {
				has = has || from[n] == rollFrom
			}
		}
		if err := a.Options.CheckBatch(has); err != nil {
			errs = append(errs, fmt.Errorf("batch %d: %w", b+1, err))
		}
	}
	if len(errs) == 0 {
		set := AnalysisSet{Name: analysis.Baseline, Instances: slices.Clone(spec.Instances)}
		for _, n := range spec.Instances {
			set.Units = append(set.Units, spec.Unit(n))
		}
		if err := a.Measurer.Preflight(ctx, a.Options, set, time.Now()); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return &AnalysisRefusedError{Service: spec.Service, Err: err}
	}
	return nil
}

// analyzeBatch runs batch b's analysis once every instance of it is back in
// traffic. It returns nil when the batch passed (or no analysis is
// configured), else a failure per instance of the batch, whose Cause is an
// *AnalysisFailedError; interrupted when ctx ended before a verdict.
func (e *engine) analyzeBatch(ctx context.Context, b int, names []string) (failed []*FailedError, interrupted bool) {
	if !e.analyzing() {
		return nil, false
	}
	a := e.deps.Analysis
	o := a.Options
	since := time.Now()
	rec := e.snapshot()
	canary := AnalysisSet{Name: analysis.Canary}
	for _, n := range names {
		in := e.instance(n)
		if in.Phase != release.PhaseDone || in.Removed {
			continue
		}
		canary.Instances = append(canary.Instances, n)
		canary.Units = append(canary.Units, e.spec.Unit(n))
		canary.Invocations = append(canary.Invocations, in.InvocationAfter)
	}
	if len(canary.Instances) == 0 {
		return nil, false // every instance of the batch failed and was reverted
	}
	canary.Started = e.startedOf(ctx, canary.Units)
	var baseline *AnalysisSet
	if bl := baselineOf(rec, b); len(bl) > 0 {
		baseline = &AnalysisSet{Name: analysis.Baseline, Instances: bl}
		for _, n := range bl {
			baseline.Units = append(baseline.Units, e.spec.Unit(n))
		}
	}
	metrics := analysisMetrics(o)
	metricNames := make([]string, len(metrics))
	for i, m := range metrics {
		metricNames[i] = m.Name
	}
	run := analysis.NewRun(metricNames, o.Limits())
	ba := release.BatchAnalysis{Batch: b, Outcome: string(analysis.Running), Started: since, Canary: canary.Instances}
	if baseline != nil {
		ba.Baseline = baseline.Instances
	}
	e.saveAnalysis(ba)
	e.emit(Event{Type: EventAnalysisStart, Batch: b, Message: describeAnalysis(o, canary, baseline)})

	wait := o.InitialDelay
	var bv analysis.BatchVerdict
	done := false
	var deadline <-chan time.Time // nil: none
	if !e.deadline.IsZero() {
		deadline = time.After(time.Until(e.deadline))
	}
	for i := 0; i < o.Count && !done; i++ {
		select {
		case <-ctx.Done():
			ba.Outcome, ba.Reason, ba.Ended = "interrupted", "interrupted before the analysis finished", time.Now()
			e.saveAnalysis(ba)
			return nil, true
		case <-deadline:
			// The progress deadline bounds the analysis too; it counts as
			// the batch's failure like a gate cut short by it.
			cause := fmt.Errorf("%w (%s) during the analysis of batch %d", ErrProgressDeadline, e.spec.Strategy.ProgressDeadline, b+1)
			ba.Outcome, ba.Reason, ba.Ended = string(analysis.Failed), cause.Error(), time.Now()
			e.saveAnalysis(ba)
			e.emit(Event{Type: EventAnalysisVerdict, Batch: b, Message: fmt.Sprintf("batch %d analysis failed: %v", b+1, cause),
				BatchVerdict: &analysis.BatchVerdict{Outcome: analysis.Failed, Reason: cause.Error(), Last: run.Verdict().Last}})
			for _, n := range canary.Instances {
				failed = append(failed, &FailedError{Instance: n, Phase: release.PhaseDone, Cause: cause})
			}
			return failed, false
		case <-time.After(wait):
		}
		wait = o.Interval
		r := Round{Since: since, Now: time.Now()}
		for _, m := range metrics {
			c := a.Measurer.Measure(ctx, m, canary, r)
			var bm *analysis.Measurement
			// An exec metric judges the canary alone: its baseline is not run.
			if baseline != nil && m.Kind() != analysis.KindExec {
				x := a.Measurer.Measure(ctx, m, *baseline, r)
				bm = &x
			}
			v := analysis.Judge(m, c, bm)
			run.Add(v)
			ba.Verdicts = append(ba.Verdicts, v)
			e.emit(Event{Type: EventAnalysis, Batch: b, Message: v.Reason, Verdict: &v})
		}
		ba.Measured = i + 1
		e.saveAnalysis(ba)
		if bv = run.Verdict(); bv.Outcome == analysis.Failed {
			done = true
		}
	}
	if !done {
		bv = run.Finish()
	}
	ba.Outcome, ba.Reason, ba.Ended = string(bv.Outcome), bv.Reason, time.Now()
	e.saveAnalysis(ba)
	e.emit(Event{Type: EventAnalysisVerdict, Batch: b, Message: fmt.Sprintf("batch %d analysis %s: %s", b+1, bv.Outcome, bv.Reason), BatchVerdict: &bv})
	if bv.Outcome == analysis.BatchInconclusive && o.OnInconclusive == analysis.InconclusivePause {
		e.inconclusive = &bv // analysisGate parks the rollout (gate.go)
		return nil, false
	}
	fails := bv.Outcome == analysis.Failed || (bv.Outcome == analysis.BatchInconclusive && o.OnInconclusive == analysis.InconclusiveFail)
	if !fails {
		return nil, false
	}
	cause := &AnalysisFailedError{Batch: b, Verdict: bv}
	for _, n := range canary.Instances {
		failed = append(failed, &FailedError{Instance: n, Phase: release.PhaseDone, Cause: cause})
	}
	return failed, false
}

// startedOf reads each unit's ExecMainStartTimestamp, the start of the
// process a measurement must come from. A unit that cannot be read is left
// zero (not checked): its gate has just proven it running, and the scrape
// checks still apply.
func (e *engine) startedOf(ctx context.Context, units []string) []time.Time {
	out := make([]time.Time, len(units))
	for i, u := range units {
		if st, err := e.deps.Manager.Unit(ctx, u); err == nil {
			out[i] = st.ExecMainStart
		}
	}
	return out
}

// saveAnalysis puts ba in the record (replacing the batch's entry). A
// journal failure is a warning: the analysis' events still show it.
func (e *engine) saveAnalysis(ba release.BatchAnalysis) {
	ba.Verdicts = slices.Clone(ba.Verdicts)
	err := e.save(func(r *release.Record) {
		for i := range r.Analysis {
			if r.Analysis[i].Batch == ba.Batch && r.Analysis[i].During == ba.During {
				r.Analysis[i] = ba
				return
			}
		}
		r.Analysis = append(r.Analysis, ba)
	})
	if err != nil {
		e.warn("", ba.Batch, "%v", err)
	}
}

func describeAnalysis(o analysis.Options, canary AnalysisSet, baseline *AnalysisSet) string {
	bl := "no baseline: absolute bounds only"
	if baseline != nil {
		bl = "baseline " + strings.Join(baseline.Instances, ", ")
	}
	return fmt.Sprintf("analysis of canary %s against %s: %d measurements %v apart after %v",
		strings.Join(canary.Instances, ", "), bl, o.Count, o.Interval, o.InitialDelay)
}

// analysisGate runs batch b's analysis once the batch is back in traffic
// (its tolerated failures already reverted) and, when it fails, makes it
// the batch's failure: Evaluate sees every analysed instance failed, with
// the verdict as the reason and no failure budget, and the failure action
// applies. stop says the rollout ended (r, err are its result).
func (e *engine) analysisGate(ctx context.Context, b int, batches [][]string, reverted []string) (r *release.Record, stop bool, err error) {
	failed, interrupted := e.analyzeBatch(ctx, b, batches[b])
	if interrupted {
		r, err = e.interrupted(ctx)
		return r, true, err
	}
	if bv := e.inconclusive; bv != nil && len(failed) == 0 {
		e.inconclusive = nil
		r, err = e.parkInconclusive(ctx, b, *bv)
		return r, true, err
	}
	if len(failed) == 0 {
		return nil, false, nil
	}
	o := Outcome{Batches: batches, Batch: b, Reverted: reverted}
	for _, f := range failed {
		o.Failed = append(o.Failed, f.Instance)
		o.Abort = o.Abort || errors.Is(f, ErrProgressDeadline)
		if ae, ok := errors.AsType[*AnalysisFailedError](f); ok && o.Analysis == "" {
			o.Analysis = fmt.Sprintf("%s: %s", ae.Verdict.Outcome, ae.Verdict.Reason)
		}
	}
	dec := Evaluate(o, e.spec.Strategy)
	e.emit(Event{Type: EventDecision, Batch: b, Message: dec.Reason})
	r, err = e.stop(ctx, dec, failed, nil)
	return r, true, err
}
