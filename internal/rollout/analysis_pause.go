package rollout

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/analysis"
	"github.com/sysroll/sysroll/internal/release"
)

// DuringPause is release.BatchAnalysis.During for the analysis of a timed
// pause.
const DuringPause = "pause"

// keptRounds is how many rounds of a pause's analysis the record keeps
// (argo-rollouts keeps 10 measurements per metric too).
const keptRounds = 10

// pauseAnalysis keeps the analysis running during a timed pause (design
// 2.4 rule 1, the remedy for flagger#1801, where a pause hid a breach): a
// release that turns bad after its batch's analysis passed is caught before
// the next batch. Every analysis interval it measures the watched instances
// (the canary) against the untouched ones (the baseline), with the same
// metrics, bounds and limits as a batch; a failed round judgement, or an
// inconclusive one under on_inconclusive: fail, is a breach of the pause.
// There is no count: it runs until the pause ends. A nil *pauseAnalysis
// (no analysis configured, not a deploy) does nothing.
type pauseAnalysis struct {
	e        *engine
	i        int // the pause's index in the record
	o        analysis.Options
	metrics  []analysis.Metric
	canary   AnalysisSet
	baseline *AnalysisSet
	run      *analysis.Run
	since    time.Time // when the canary went back in traffic
	next     time.Time // the next round
	ba       release.BatchAnalysis
	breached bool
}

// startPauseAnalysis begins the analysis of pause i, whose watched
// processes are watch. The first round is one interval after the pause
// began (a resumed pause: after it resumed); {window} reaches back to when
// the batch went back in traffic, as its own analysis saw it.
func (e *engine) startPauseAnalysis(ctx context.Context, i int, watch []release.Watched) *pauseAnalysis {
	if !e.analyzing() || len(watch) == 0 {
		return nil
	}
	rec := e.snapshot()
	after := rec.Pauses[i].After
	now := time.Now()
	pa := &pauseAnalysis{e: e, i: i, o: e.deps.Analysis.Options, since: now}
	pa.metrics = analysisMetrics(pa.o)
	names := make([]string, len(pa.metrics))
	for j, m := range pa.metrics {
		names[j] = m.Name
	}
	pa.run = analysis.NewRun(names, pa.o.Limits())
	pa.next = now.Add(pa.o.Interval)
	for _, a := range rec.Analysis {
		if a.Batch == after && a.During == "" && !a.Started.IsZero() {
			pa.since = a.Started
		}
	}
	pa.canary = AnalysisSet{Name: analysis.Canary}
	for _, w := range watch {
		pa.canary.Instances = append(pa.canary.Instances, w.Name)
		pa.canary.Units = append(pa.canary.Units, e.spec.Unit(w.Name))
		pa.canary.Invocations = append(pa.canary.Invocations, w.InvocationID)
	}
	pa.canary.Started = e.startedOf(ctx, pa.canary.Units)
	if bl := baselineOf(rec, after); len(bl) > 0 {
		pa.baseline = &AnalysisSet{Name: analysis.Baseline, Instances: bl}
		for _, n := range bl {
			pa.baseline.Units = append(pa.baseline.Units, e.spec.Unit(n))
		}
	}
	pa.ba = release.BatchAnalysis{Batch: after, During: DuringPause, Outcome: string(analysis.Running), Started: now, Canary: pa.canary.Instances}
	if pa.baseline != nil {
		pa.ba.Baseline = pa.baseline.Instances
	}
	e.saveAnalysis(pa.ba)
	bl := "no baseline: absolute bounds only"
	if pa.baseline != nil {
		bl = "baseline " + strings.Join(pa.baseline.Instances, ", ")
	}
	e.emit(Event{Type: EventAnalysisStart, Batch: after, Message: fmt.Sprintf("analysis during the pause after batch %d: canary %s against %s, every %v until the pause ends",
		after+1, strings.Join(pa.canary.Instances, ", "), bl, pa.o.Interval)})
	return pa
}

// check takes a round if one is due and returns the breaches it found: one
// per watched instance, the verdict's reason as the message (the analysis
// judges the set, so the set fails together). A round cut short by ctx is
// no breach: the caller sees ctx.
func (pa *pauseAnalysis) check(ctx context.Context) []breach {
	if pa == nil || pa.breached || time.Now().Before(pa.next) {
		return nil
	}
	e := pa.e
	r := Round{Since: pa.since, Now: time.Now()}
	var inconclusive []string
	for _, m := range pa.metrics {
		c := e.deps.Analysis.Measurer.Measure(ctx, m, pa.canary, r)
		var bm *analysis.Measurement
		if pa.baseline != nil && m.Kind() != analysis.KindExec {
			x := e.deps.Analysis.Measurer.Measure(ctx, m, *pa.baseline, r)
			bm = &x
		}
		if ctx.Err() != nil {
			return nil
		}
		v := analysis.Judge(m, c, bm)
		pa.run.Add(v)
		pa.ba.Verdicts = append(pa.ba.Verdicts, v)
		if v.Outcome == analysis.Inconclusive {
			inconclusive = append(inconclusive, v.Reason)
		}
		e.emit(Event{Type: EventAnalysis, Batch: pa.ba.Batch, Message: v.Reason, Verdict: &v})
	}
	pa.ba.Measured++
	// A pause may last hours: the record keeps the last keptRounds rounds
	// (the run still counts every one), or each save would rewrite them all.
	if keep := keptRounds * len(pa.metrics); len(pa.ba.Verdicts) > keep {
		pa.ba.Verdicts = slices.Clone(pa.ba.Verdicts[len(pa.ba.Verdicts)-keep:])
	}
	pa.next = time.Now().Add(pa.o.Interval)
	bv := pa.run.Verdict()
	if bv.Outcome != analysis.Failed && len(inconclusive) > 0 && pa.o.OnInconclusive == analysis.InconclusiveFail {
		bv = analysis.BatchVerdict{Outcome: analysis.BatchInconclusive, Reason: strings.Join(inconclusive, "; "), Last: bv.Last}
	}
	if bv.Outcome == analysis.Running {
		e.saveAnalysis(pa.ba)
		return nil
	}
	pa.breached = true
	pa.ba.Outcome, pa.ba.Reason, pa.ba.Ended = string(bv.Outcome), bv.Reason, time.Now()
	e.saveAnalysis(pa.ba)
	e.emit(Event{Type: EventAnalysisVerdict, Batch: pa.ba.Batch, BatchVerdict: &bv,
		Message: fmt.Sprintf("analysis during the pause after batch %d %s: %s", pa.ba.Batch+1, bv.Outcome, bv.Reason)})
	why := fmt.Sprintf("analysis %s: %s", bv.Outcome, bv.Reason)
	out := make([]breach, len(pa.canary.Instances))
	for j, n := range pa.canary.Instances {
		out[j] = breach{n, why}
	}
	return out
}

// end records how the pause's analysis ended once the pause has (its
// result already saved): passed with the pause (waited out or promoted),
// interrupted or aborted with it, or stopped when something else failed
// the pause. A breach it found itself
// is recorded already.
func (pa *pauseAnalysis) end() {
	if pa == nil || pa.breached {
		return
	}
	res := pa.e.snapshot().Pauses[pa.i].Result
	pa.ba.Ended = time.Now()
	switch {
	case res == release.PausePassed && pa.ba.Measured == 0:
		pa.ba.Outcome, pa.ba.Reason = "skipped", fmt.Sprintf("the pause ended before its first round (interval %v)", pa.o.Interval)
	case res == release.PausePassed:
		pa.ba.Outcome, pa.ba.Reason = string(analysis.Passed), fmt.Sprintf("%d rounds during the pause, no limit exceeded", pa.ba.Measured)
	case res == release.PausePromoted:
		pa.ba.Outcome, pa.ba.Reason = string(analysis.Passed), fmt.Sprintf("%d rounds, no limit exceeded, until sysroll promote passed the pause", pa.ba.Measured)
	case res == release.PauseInterrupted:
		pa.ba.Outcome, pa.ba.Reason = "interrupted", "interrupted with the pause"
	case res == release.PauseAborted:
		pa.ba.Outcome, pa.ba.Reason = "aborted", "sysroll abort ended the rollout during the pause"
	default:
		pa.ba.Outcome, pa.ba.Reason = "stopped", "the pause failed otherwise: "+pa.e.snapshot().Pauses[pa.i].Message
	}
	pa.e.saveAnalysis(pa.ba)
}
