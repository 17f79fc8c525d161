package rollout

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Size is a batch size: a number of instances, or a percentage of the
// instances being rolled out (rounded up, at least 1). The zero Size means
// "the default" where one applies.
type Size struct {
	Count   int
	Percent int // 1-100; used when Count is 0
}

// ParseSize reads "3" or "25%".
func ParseSize(s string) (Size, error) {
	s = strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 1 || n > 100 {
			return Size{}, fmt.Errorf("batch size %q: a percentage must be 1%%-100%%", s)
		}
		return Size{Percent: n}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return Size{}, fmt.Errorf("batch size %q: want a number of instances (1 or more) or a percentage like 25%%", s)
	}
	return Size{Count: n}, nil
}

// String gives the form ParseSize reads.
func (s Size) String() string {
	if s.Count == 0 && s.Percent > 0 {
		return strconv.Itoa(s.Percent) + "%"
	}
	return strconv.Itoa(s.Count)
}

// MarshalText implements encoding.TextMarshaler.
func (s Size) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Size) UnmarshalText(b []byte) error {
	v, err := ParseSize(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// IsZero reports whether s is unset.
func (s Size) IsZero() bool { return s.Count == 0 && s.Percent == 0 }

func (s Size) validate() error {
	switch {
	case s.Count < 0:
		return fmt.Errorf("batch size %d is negative", s.Count)
	case s.Count == 0 && (s.Percent < 0 || s.Percent > 100):
		return fmt.Errorf("batch size %d%% is not within 1%%-100%%", s.Percent)
	case s.Count > 0 && s.Percent != 0:
		return fmt.Errorf("batch size sets both a count (%d) and a percentage (%d%%)", s.Count, s.Percent)
	}
	return nil
}

// of resolves s against the number of instances being rolled out.
func (s Size) of(total int) int {
	n := s.Count
	if n == 0 {
		n = (total*s.Percent + 99) / 100 // ceil
	}
	return max(n, 1)
}

// FailureAction says what happens once failures exceed the failure budget.
type FailureAction string

// The failure actions.
const (
	// Rollback reverts the failed batch (its failed instances first) and
	// stops. Earlier batches stay on the new release.
	Rollback FailureAction = "rollback"
	// RollbackAll reverts the failed batch, then every earlier batch in
	// reverse order, each gated, and stops.
	RollbackAll FailureAction = "rollback-all"
	// Halt stops and leaves every instance where it is, the failed ones on
	// the new release for inspection (running, and back in traffic: sysroll
	// never leaves an instance drained when it exits).
	Halt FailureAction = "halt"
)

// Strategy says how instances are batched and what to do on failure.
type Strategy struct {
	// Batch is the size of every batch. Default 1. Mutually exclusive with Ramp.
	Batch Size
	// Ramp gives the size of each batch in turn, the last repeating until
	// every instance is done, as Ansible's serial: [1, 25%, 100%] on 10
	// instances makes batches of 1, 3 and 6. Percentages are of all the
	// instances being rolled out. The first entry is the canary.
	Ramp []Size
	// FailureAction applies once more than FailureBudget instances failed.
	// Default Rollback.
	FailureAction FailureAction
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
}

// DefaultDrainTimeout is Strategy.DrainTimeout's default.
const DefaultDrainTimeout = 30 * time.Second

// WithDefaults returns s with unset fields set to their defaults.
func (s Strategy) WithDefaults() Strategy {
	if s.Batch.IsZero() && len(s.Ramp) == 0 {
		s.Batch = Size{Count: 1}
	}
	if s.FailureAction == "" {
		s.FailureAction = Rollback
	}
	if s.DrainTimeout == 0 {
		s.DrainTimeout = DefaultDrainTimeout
	}
	return s
}

// steps is the ramp to plan with.
func (s Strategy) steps() []Size {
	if len(s.Ramp) > 0 {
		return s.Ramp
	}
	if s.Batch.IsZero() {
		return []Size{{Count: 1}}
	}
	return []Size{s.Batch}
}

// Validate returns every problem with s, joined.
func (s Strategy) Validate() error {
	var errs []error
	if !s.Batch.IsZero() && len(s.Ramp) > 0 {
		errs = append(errs, errors.New("set batch or ramp, not both"))
	}
	if err := s.Batch.validate(); err != nil {
		errs = append(errs, err)
	}
	for i, r := range s.Ramp {
		if r.IsZero() {
			errs = append(errs, fmt.Errorf("ramp[%d] is empty", i))
		} else if err := r.validate(); err != nil {
			errs = append(errs, fmt.Errorf("ramp[%d]: %w", i, err))
		}
	}
	switch s.FailureAction {
	case "", Rollback, RollbackAll, Halt:
	default:
		errs = append(errs, fmt.Errorf("failure action %q: want %s, %s or %s", s.FailureAction, Rollback, RollbackAll, Halt))
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
