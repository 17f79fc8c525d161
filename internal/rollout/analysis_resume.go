package rollout

import (
	"context"

	"github.com/sysroll/sysroll/internal/analysis"
	"github.com/sysroll/sysroll/internal/release"
)

// reanalyze runs, on resume, the analysis of the newest batch that is
// complete (every instance of it done, nothing left to step) but whose
// analysis never passed: a kill -9 or Ctrl-C during it, or before it
// began, must not let the next batch go unjudged (progressive.md 4.4). A
// batch whose inconclusive analysis an operator promoted past is taken as
// judged. It returns stopped when the analysis failed the batch (the
// failure action applied) or parked the rollout.
func (e *engine) reanalyze(ctx context.Context, work [][]string) (*release.Record, bool, error) {
	if !e.analyzing() {
		return nil, false, nil
	}
	rec := e.snapshot()
	b := -1
	for i, batch := range rec.Batches {
		if i < len(work) && len(work[i]) > 0 {
			continue
		}
		for _, n := range batch {
			if in := rec.Instances[e.idx[n]]; in.Phase == release.PhaseDone && !in.Removed {
				b = i
			}
		}
	}
	if b < 0 || judged(rec, b) {
		return nil, false, nil
	}
	var reverted []string
	for _, in := range rec.Instances {
		if in.Phase == release.PhaseReverted {
			reverted = append(reverted, in.Name)
		}
	}
	return e.analysisGate(ctx, b, rec.Batches, reverted)
}

// judged reports whether batch b's analysis passed, or an operator
// promoted the rollout past its inconclusive verdict.
func judged(rec *release.Record, b int) bool {
	for _, a := range rec.Analysis {
		if a.Batch == b && a.During == "" && a.Outcome == string(analysis.Passed) {
			return true
		}
	}
	for _, p := range rec.Pauses {
		if p.After == b && p.Kind == release.PauseInconclusive && p.Result == release.PausePromoted {
			return true
		}
	}
	return false
}
