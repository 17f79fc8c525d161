package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/systemd"
)

// timerExpiry is rollout.Expiry over a transient systemd timer: every
// a.Every while a pause waits, systemd runs `sysroll check-pause NAME
// --rollout ID --pause N` in the same manager as the service (the user's
// with --user), which fails the batch if a canary changed and runs the
// expiry action once the pause expired: both are enforced with no sysroll
// process alive. Transient units
// do not survive a reboot; every command that reads the record enforces
// the recorded expiry too (expiredPause).
type timerExpiry struct {
	h *Host
	m systemd.Manager
	// exe is the sysroll binary the timer runs; "" is this process's.
	exe string
}

var _ rollout.Expiry = (*timerExpiry)(nil)

// expiryUnit names the transient units of a pause's expiry.
func expiryUnit(service, id string, pause int) string {
	return fmt.Sprintf("sysroll-pause-%s-%s-%d", service, id, pause+1)
}

// Arm implements rollout.Expiry.
func (t *timerExpiry) Arm(ctx context.Context, a rollout.ExpiryArm) (string, error) {
	ts, ok := t.m.(systemd.TimerStarter)
	if !ok {
		return "", errors.New("this systemd connection cannot start transient timers")
	}
	exe := t.exe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return "", fmt.Errorf("find the sysroll binary for the timer: %w", err)
		}
	}
	argv := []string{exe}
	if t.h.User {
		argv = append(argv, "--user")
	}
	if t.h.Address != "" {
		argv = append(argv, "--systemd-address", t.h.Address)
	}
	if t.h.StateRoot != "" {
		argv = append(argv, "--state-dir", t.h.StateRoot)
	}
	if t.h.UnitDir != "" {
		argv = append(argv, "--unit-dir", t.h.UnitDir)
	}
	argv = append(argv, "check-pause", a.Service, "--rollout", a.Rollout, "--pause", strconv.Itoa(a.Pause+1))
	name := expiryUnit(a.Service, a.Rollout, a.Pause)
	err := ts.StartTransientTimer(ctx, systemd.TransientTimer{
		Name:        name,
		Description: fmt.Sprintf("sysroll: watch and expiry of pause %d of rollout %s of %s", a.Pause+1, a.Rollout, a.Service),
		OnActive:    max(min(a.Every, time.Until(a.At)), time.Second),
		Every:       a.Every,
		Command:     argv,
	})
	if err != nil {
		return "", err
	}
	return name + ".timer", nil
}

// Disarm implements rollout.Expiry: a timer that already ran was unloaded.
func (t *timerExpiry) Disarm(ctx context.Context, timer string) error {
	u, err := t.m.Unit(ctx, timer)
	if err != nil {
		return err
	}
	if u.LoadState != "loaded" {
		return nil
	}
	if err := t.m.Stop(ctx, timer); err != nil && !systemd.IsNoSuchUnit(err) {
		return err
	}
	return nil
}
