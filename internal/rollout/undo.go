package rollout

import (
	"context"
	"fmt"

	"github.com/sysroll/sysroll/internal/release"
)

// RollbackRecord reverts what a rollout did: every instance RollbackDecision
// picks goes back to its From release (or, for a restart, is brought back
// up), batch by batch in reverse order, each gated. Any record of the
// service is accepted, also a finished one. The record is marked Undo
// before anything is touched: if sysroll is killed meanwhile, Resume
// completes the undo instead of taking the rollout up again as a failing
// one. The caller holds the lock.
func RollbackRecord(ctx context.Context, rec *release.Record, spec Spec, deps Deps) (*release.Record, error) {
	e, live, err := reopen(ctx, rec, spec, deps, true, true)
	if err != nil {
		return nil, err
	}
	reason := spec.UndoReason
	if reason == "" {
		reason = "rolled back by request"
	}
	return e.undoRecord(ctx, live, "rolling back", reason)
}

// undoRecord puts every instance of the engine's record that
// RollbackDecision picks back on its From, newest batch first. what starts
// the rollout-start message; reason is the recorded reason once done.
func (e *engine) undoRecord(ctx context.Context, live map[string]Live, what, reason string) (*release.Record, error) {
	r := e.snapshot()
	e.emit(Event{Type: EventRolloutStart, Batch: -1, Message: fmt.Sprintf("%s %s %s: back to %s", what, r.Kind, r.ID, r.From)})
	var groups [][]string
	for b := len(r.Batches) - 1; b >= 0; b-- {
		var g []string
		for _, n := range r.Batches[b] {
			if in := r.Instances[e.idx[n]]; !in.Removed && RollbackDecision(in, live[n]) {
				g = append(g, n)
			}
		}
		if len(g) > 0 {
			groups = append(groups, g)
		}
	}
	if errs := e.revertGroups(ctx, groups); len(errs) > 0 {
		rerr := revertErr(errs)
		return e.end(ctx, release.ResultFailed, "rollback: "+rerr.Error(), rerr)
	}
	return e.end(ctx, release.ResultRolledBack, reason, nil)
}
