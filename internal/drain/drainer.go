package drain

import (
	"context"
	"errors"
)

// Drainer takes instances out of traffic and back; it has the method set
// of rollout.Drainer, so every Drainer here is one (this package does not
// import the engine). Both methods are idempotent.
type Drainer interface {
	// Drain takes the instance out of traffic and waits until its in-flight
	// work is done, or ctx ends.
	Drain(ctx context.Context, instance string) error
	// Undrain returns the instance to traffic.
	Undrain(ctx context.Context, instance string) error
}

// Checker is a Drainer that can verify its setup before a rollout starts.
type Checker interface {
	Check(ctx context.Context, instances []string) error
}

// AllUndrainer is a Drainer that can return every instance to traffic at
// once, the cleanup before sysroll exits.
type AllUndrainer interface {
	UndrainAll(ctx context.Context, instances []string) error
}

// Multi combines drainers: Drain runs them in order and stops at the first
// error; Undrain runs them in reverse and goes on past errors, so a failing
// hook does not keep the instance out of the load balancer. Nil drainers
// are skipped; with none left, Multi is a no-op.
func Multi(drainers ...Drainer) *MultiDrainer {
	m := &MultiDrainer{}
	for _, d := range drainers {
		if d != nil {
			m.drainers = append(m.drainers, d)
		}
	}
	return m
}

// MultiDrainer is what Multi returns.
type MultiDrainer struct {
	drainers []Drainer
}

var (
	_ Drainer      = (*MultiDrainer)(nil)
	_ Checker      = (*MultiDrainer)(nil)
	_ AllUndrainer = (*MultiDrainer)(nil)
)

// Len is the number of drainers combined.
func (m *MultiDrainer) Len() int { return len(m.drainers) }

// Drain implements Drainer.
func (m *MultiDrainer) Drain(ctx context.Context, instance string) error {
	for _, d := range m.drainers {
		if err := d.Drain(ctx, instance); err != nil {
			return err
		}
	}
	return nil
}

// Undrain implements Drainer.
func (m *MultiDrainer) Undrain(ctx context.Context, instance string) error {
	var errs []error
	for i := len(m.drainers) - 1; i >= 0; i-- {
		errs = append(errs, m.drainers[i].Undrain(ctx, instance))
	}
	return errors.Join(errs...)
}

// Check runs Check of every drainer that has one, and joins their errors.
func (m *MultiDrainer) Check(ctx context.Context, instances []string) error {
	var errs []error
	for _, d := range m.drainers {
		if c, ok := d.(Checker); ok {
			errs = append(errs, c.Check(ctx, instances))
		}
	}
	return errors.Join(errs...)
}

// UndrainAll runs UndrainAll of every drainer that has one, in reverse.
// Drainers without it (hooks) are left alone: running a post_start hook
// for instances nobody drained is not a cleanup.
func (m *MultiDrainer) UndrainAll(ctx context.Context, instances []string) error {
	var errs []error
	for i := len(m.drainers) - 1; i >= 0; i-- {
		if u, ok := m.drainers[i].(AllUndrainer); ok {
			errs = append(errs, u.UndrainAll(ctx, instances))
		}
	}
	return errors.Join(errs...)
}
