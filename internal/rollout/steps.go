package rollout

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/release"
)

// batchSizes are the batch entries of rollout.steps, in order: the sizes
// Plan works with, exactly as a ramp.
func batchSizes(steps []config.RolloutStep) []config.Step {
	var out []config.Step
	for _, st := range steps {
		if !st.IsPause() {
			out = append(out, st.Batch)
		}
	}
	return out
}

// validateSteps checks Strategy.Steps the way Plan needs it (the service
// file's parser refuses the same with positions; a Strategy built in code
// must be checked too).
func validateSteps(s Strategy) []error {
	if len(s.Steps) == 0 {
		return nil
	}
	var errs []error
	if !isZero(s.Batch) || len(s.Ramp) > 0 {
		errs = append(errs, errors.New("set steps, or batch or ramp, not both"))
	}
	for i, st := range s.Steps {
		switch {
		case st.IsPause() && !isZero(st.Batch):
			errs = append(errs, fmt.Errorf("steps[%d] is both a batch and a pause", i))
		case st.IsPause() && st.Gate && st.Pause != 0:
			errs = append(errs, fmt.Errorf("steps[%d] is both a timed pause and a gate", i))
		case st.IsPause() && st.Pause < 0:
			errs = append(errs, fmt.Errorf("steps[%d]: pause %s is negative", i, st.Pause))
		case st.IsPause() && (i == 0 || i == len(s.Steps)-1 || s.Steps[i-1].IsPause()):
			errs = append(errs, fmt.Errorf("steps[%d]: a pause must come between two batches", i))
		case !st.IsPause() && isZero(st.Batch):
			errs = append(errs, fmt.Errorf("steps[%d] is empty", i))
		case !st.IsPause():
			if err := validSize(st.Batch); err != nil {
				errs = append(errs, fmt.Errorf("steps[%d]: %w", i, err))
			}
		}
	}
	return errs
}

// PlanPauses places the timed pauses of s.Steps after the planned batches:
// the pause that follows the k-th batch entry follows batch k. A pause
// after the last batch is left out (nothing would wait for it: when the
// instances run out before the steps do, the rollout is over), and the
// last batch entry, which repeats, never has one (a pause is never last).
// It is pure; nBatches is len(Plan(...)).
func PlanPauses(nBatches int, s Strategy) []release.Pause {
	var out []release.Pause
	k := -1
	for _, st := range s.Steps {
		if !st.IsPause() {
			k++
			continue
		}
		if k >= 0 && k < nBatches-1 {
			p := release.Pause{After: k, Duration: st.Pause}
			if st.Gate {
				p.Kind = release.PauseGate
			}
			out = append(out, p)
		}
	}
	return out
}

// describeSteps renders the plan for the rollout-start line: batches
// separated by " | ", with each pause in its place.
func describeSteps(batches [][]string, pauses []release.Pause) string {
	if len(pauses) == 0 {
		return describe(batches)
	}
	var parts []string
	for b, names := range batches {
		parts = append(parts, strings.Join(names, ","))
		for _, p := range pauses {
			if p.After == b {
				parts = append(parts, p.Label())
			}
		}
	}
	return strings.Join(parts, " | ")
}

// PausesApply says which rollouts wait out the pauses of their steps: a
// deploy and a restart bake their canary; a rollback to the last good
// release goes as fast as its batches allow.
func PausesApply(k release.Kind) bool { return k != release.KindRollback }

// remaining is how much of a pause is still to be watched.
func remaining(p release.Pause) time.Duration { return max(p.Duration-p.Waited, 0) }
