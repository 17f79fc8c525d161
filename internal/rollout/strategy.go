package rollout

import (
	"errors"
	"fmt"
	"time"

	"github.com/sysroll/sysroll/internal/config"
)

// validSize checks a batch size the way Plan needs it. The service file's
// parser (config.Step) already refuses these; a Strategy built in code must
// be checked too.
func validSize(s config.Step) error {
	switch {
	case s.N < 0:
		return fmt.Errorf("batch size %d is negative", s.N)
	case s.Percent < 0 || s.Percent > 100:
		return fmt.Errorf("batch size %d%% is not within 1%%-100%%", s.Percent)
	case s.N > 0 && s.Percent != 0:
		return fmt.Errorf("batch size sets both a count (%d) and a percentage (%d%%)", s.N, s.Percent)
	}
	return nil
}

// isZero reports whether a batch size is unset.
func isZero(s config.Step) bool { return s.N == 0 && s.Percent == 0 }

// Strategy says how instances are batched and what to do on failure.
type Strategy struct {
	// Batch is the size of every batch: a count, or a percentage of the
	// instances being rolled out (rounded up, at least 1). Default 1.
	// Mutually exclusive with Ramp.
	Batch config.Step
	// Ramp gives the size of each batch in turn, the last repeating until
	// every instance is done, as Ansible's serial: [1, 25%, 100%] on 10
	// instances makes batches of 1, 3 and 6. Percentages are of all the
	// instances being rolled out. The first entry is the canary.
	Ramp []config.Step
	// Steps, when set, replaces Batch and Ramp (setting both is refused):
	// its batch entries are the ramp, and each timed pause follows the
	// batch before it, watched (see PlanPauses and pause.go).
	Steps []config.RolloutStep
	// FailureAction applies once more than FailureBudget instances failed:
	// config.ActionRollback reverts the failed batch (its failed instances
	// first) and stops, earlier batches staying on the new release;
	// config.ActionRollbackAll then reverts every earlier batch in reverse
	// order, each gated; config.ActionHalt leaves every instance where it is,
	// the failed ones on the new release for inspection (running, and back in
	// traffic: sysroll never leaves an instance drained when it exits).
	// Default config.DefaultFailureAction.
	FailureAction config.FailureAction
	// FailureBudget is how many failed instances, over the whole rollout,
	// are tolerated: each is reverted on its own and the rollout goes on.
	// Default 0.
	FailureBudget int
	// ProgressDeadline bounds the whole rollout; when it passes, the batch
	// in flight counts as failed. 0 means none.
	ProgressDeadline time.Duration
	// DrainTimeout bounds the wait for an instance's in-flight work after it
	// was taken out of traffic; after it the step goes on regardless.
	// Default 30s.
	DrainTimeout time.Duration
	// PauseExpiry is how long a rollout waits at an approval gate (or a
	// manual or inconclusive pause) before OnPauseExpiry applies; 0 is
	// config.DefaultPauseExpiry. The engine records the deadline and arms
	// Deps.Expiry; the expiry itself runs outside the engine (host.Expire).
	PauseExpiry   time.Duration
	OnPauseExpiry config.ExpiryAction
}

// DefaultDrainTimeout is Strategy.DrainTimeout's default.
const DefaultDrainTimeout = 30 * time.Second

// WithDefaults returns s with unset fields set to their defaults.
func (s Strategy) WithDefaults() Strategy {
	if isZero(s.Batch) && len(s.Ramp) == 0 && len(s.Steps) == 0 {
		s.Batch = config.Step{N: 1}
	}
	if s.FailureAction == "" {
		s.FailureAction = config.DefaultFailureAction
	}
	if s.DrainTimeout == 0 {
		s.DrainTimeout = DefaultDrainTimeout
	}
	if s.PauseExpiry == 0 {
		s.PauseExpiry = config.DefaultPauseExpiry
	}
	if s.OnPauseExpiry == "" {
		s.OnPauseExpiry = config.ExpiryRollback
	}
	return s
}

// steps is the ramp to plan with.
func (s Strategy) steps() []config.Step {
	if len(s.Steps) > 0 {
		return batchSizes(s.Steps)
	}
	if len(s.Ramp) > 0 {
		return s.Ramp
	}
	if isZero(s.Batch) {
		return []config.Step{{N: 1}}
	}
	return []config.Step{s.Batch}
}

// Validate returns every problem with s, joined.
func (s Strategy) Validate() error {
	var errs []error
	if !isZero(s.Batch) && len(s.Ramp) > 0 {
		errs = append(errs, errors.New("set batch or ramp, not both"))
	}
	if err := validSize(s.Batch); err != nil {
		errs = append(errs, err)
	}
	for i, r := range s.Ramp {
		if isZero(r) {
			errs = append(errs, fmt.Errorf("ramp[%d] is empty", i))
		} else if err := validSize(r); err != nil {
			errs = append(errs, fmt.Errorf("ramp[%d]: %w", i, err))
		}
	}
	errs = append(errs, validateSteps(s)...)
	switch s.FailureAction {
	case "", config.ActionRollback, config.ActionRollbackAll, config.ActionHalt:
	default:
		errs = append(errs, fmt.Errorf("failure action %q: want %s, %s or %s", s.FailureAction, config.ActionRollback, config.ActionRollbackAll, config.ActionHalt))
	}
	if s.FailureBudget < 0 {
		errs = append(errs, fmt.Errorf("failure budget %d is negative", s.FailureBudget))
	}
	if s.ProgressDeadline < 0 {
		errs = append(errs, fmt.Errorf("progress deadline %s is negative", s.ProgressDeadline))
	}
	if s.DrainTimeout < 0 {
		errs = append(errs, fmt.Errorf("drain timeout %s is negative", s.DrainTimeout))
	}
	return errors.Join(errs...)
}
