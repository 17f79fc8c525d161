package systemd

import (
	"context"
	"fmt"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
)

type jobFunc func(c *sddbus.Conn) func(ctx context.Context, name, mode string, ch chan<- string) (int, error)

// job queues a job and waits for its result. Should the connection drop
// while the job is queued or waited for, the job is resolved from the
// unit's state after reconnecting: queueing it again only when that state
// shows it never ran (AwaitLost).
func (d *DBus) job(ctx context.Context, op, unit string, f jobFunc, requeues int) error {
	// The state before the job is what tells, after a lost result, whether
	// the job ran (a new invocation) or not.
	before, err := d.Unit(ctx, unit)
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, unit, err)
	}
	l, err := d.current()
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, unit, err)
	}
	// Buffered: go-systemd blocks its signal dispatch on an undrained channel.
	ch := make(chan string, 1)
	if _, err := f(l.conn)(ctx, unit, "replace", ch); err != nil {
		if !l.dropped(err) || ctx.Err() != nil {
			return fmt.Errorf("%s %s: %w", op, unit, err)
		}
		// The request may or may not have reached systemd.
		return d.lost(ctx, op, unit, f, before, l, requeues)
	}
	// A safety net for a result lost while the connection stays up (through
	// a bus daemon, systemd re-executing behind it): every jobCheck, read
	// the unit; two decisive readings in a row with no job queued decide.
	tick := time.NewTicker(jobCheck)
	defer tick.Stop()
	decisive := 0
	for {
		select {
		case res := <-ch:
			return jobResult(op, unit, res)
		case <-l.lost:
			select {
			case res := <-ch: // it made it before the drop
				return jobResult(op, unit, res)
			default:
			}
			return d.lost(ctx, op, unit, f, before, l, requeues)
		case <-ctx.Done():
			return fmt.Errorf("%s %s: waiting for job: %w", op, unit, ctx.Err())
		case <-tick.C:
			now, err := d.Unit(ctx, unit)
			if err != nil {
				continue // the signal or the drop will tell
			}
			v := ResolveLostJob(op, before, now)
			if v != VerdictDone && v != VerdictFailed {
				decisive = 0
				continue
			}
			if decisive++; decisive < 2 {
				continue
			}
			if v == VerdictFailed {
				return &JobError{Op: op, Unit: unit, Result: JobFailed}
			}
			return nil
		}
	}
}

// jobCheck is how often a job waited for is checked on the unit itself.
const jobCheck = time.Second

// lost resolves a job whose result went with the dropped link l.
func (d *DBus) lost(ctx context.Context, op, unit string, f jobFunc, before UnitState, l *link, requeues int) error {
	if err := d.reconnect(ctx, l); err != nil {
		return fmt.Errorf("%s %s: the connection dropped before the job's result came: %w", op, unit, err)
	}
	return AwaitLost(ctx, op, unit, before, d.Unit, func(ctx context.Context) error {
		if requeues >= maxRetries {
			return fmt.Errorf("%s %s: the job left no trace after %d attempts across dropped connections", op, unit, requeues+1)
		}
		return d.job(ctx, op, unit, f, requeues+1)
	})
}

func jobResult(op, unit, res string) error {
	if JobResult(res) != JobDone {
		return &JobError{Op: op, Unit: unit, Result: JobResult(res)}
	}
	return nil
}

// Start implements Manager.
func (d *DBus) Start(ctx context.Context, unit string) error {
	return d.job(ctx, "start", unit, func(c *sddbus.Conn) func(context.Context, string, string, chan<- string) (int, error) {
		return c.StartUnitContext
	}, 0)
}

// Stop implements Manager.
func (d *DBus) Stop(ctx context.Context, unit string) error {
	return d.job(ctx, "stop", unit, func(c *sddbus.Conn) func(context.Context, string, string, chan<- string) (int, error) {
		return c.StopUnitContext
	}, 0)
}

// Restart implements Manager.
func (d *DBus) Restart(ctx context.Context, unit string) error {
	return d.job(ctx, "restart", unit, func(c *sddbus.Conn) func(context.Context, string, string, chan<- string) (int, error) {
		return c.RestartUnitContext
	}, 0)
}
