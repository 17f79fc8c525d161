// Package strategy holds the few rollout words the service file, the
// single-host engine and the fleet planner all speak: a Step (a count or a
// percentage), the FailureAction, and how many instances one host runs.
// internal/config decodes them and calls internal/fleet/plan, which needs
// them too; a leaf that imports neither keeps one definition of each
// without an import cycle. config and plan name them under their own
// names (config.Step, plan.Size) as aliases of these.
package strategy

import "strconv"

// MaxInstances bounds the instances of one service on one host.
const MaxInstances = 1000

// Step is a count or a percentage: of instances for a batch, of hosts for a
// host batch, of instances fleet-wide for min_available.
type Step struct {
	// N, when Percent is 0.
	N int
	// Percent (1-100), rounded up, at least one.
	Percent int
}

// String renders the step the way it is written in a service file.
func (s Step) String() string {
	if s.Percent != 0 {
		return strconv.Itoa(s.Percent) + "%"
	}
	return strconv.Itoa(s.N)
}

// Size is how many of total the step covers: at least 1 and at most total
// (for total > 0), a percentage rounded up.
func (s Step) Size(total int) int {
	n := s.N
	if s.Percent != 0 {
		n = (total*s.Percent + 99) / 100
	}
	n = max(n, 1)
	if total > 0 {
		n = min(n, total)
	}
	return n
}

// IsZero reports whether the step is unset.
func (s Step) IsZero() bool { return s.N == 0 && s.Percent == 0 }

// FailureAction is what a rollout does once failures exceed its budget: of
// instances in a batch, of hosts in a fleet.
type FailureAction string

// Failure actions.
const (
	// ActionRollback moves the failed batch back to its previous release and stops.
	ActionRollback FailureAction = "rollback"
	// ActionRollbackAll also moves the batches that had already succeeded back.
	ActionRollbackAll FailureAction = "rollback-all"
	// ActionHalt stops where it is and leaves the failed batch as it is, for a human.
	ActionHalt FailureAction = "halt"
	// DefaultFailureAction applies when the file names none.
	DefaultFailureAction = ActionRollback
)
