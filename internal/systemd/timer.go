package systemd

import (
	"context"
	"errors"
	"fmt"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// TransientTimer is a timer that runs Command, OnActive from now and then
// every Every (0: once), as its own transient service: what `systemd-run
// --on-active= --on-unit-active=` makes. systemd runs it whether or not the
// process that made it is still alive, and unloads both units once the
// timer is stopped (or has run, without Every). go-systemd's StartTransientUnit
// cannot pass the service a timer needs beside it (StartTransientUnit's
// "aux" units), so this calls the method itself.
type TransientTimer struct {
	// Name is the units' name without suffix: Name.timer and Name.service.
	Name        string
	Description string
	OnActive    time.Duration
	Every       time.Duration
	Command     []string
}

// TimerStarter is what a Manager over D-Bus adds to start a transient
// timer; *DBus satisfies it.
type TimerStarter interface {
	StartTransientTimer(ctx context.Context, t TransientTimer) error
}

var _ TimerStarter = (*DBus)(nil)

// auxUnit is one entry of StartTransientUnit's a(sa(sv)) argument.
type auxUnit struct {
	Name  string
	Props []sddbus.Property
}

// StartTransientTimer starts t.Name.timer with t.Name.service beside it.
func (d *DBus) StartTransientTimer(ctx context.Context, t TransientTimer) error {
	if len(t.Command) == 0 || t.OnActive <= 0 {
		return fmt.Errorf("transient timer %s: needs a command and a positive delay", t.Name)
	}
	timer := []sddbus.Property{
		sddbus.PropDescription(t.Description),
		{Name: "OnActiveSec", Value: dbus.MakeVariant(uint64(t.OnActive / time.Microsecond))},
		{Name: "AccuracyUSec", Value: dbus.MakeVariant(uint64(time.Second / time.Microsecond))},
		{Name: "RemainAfterElapse", Value: dbus.MakeVariant(false)},
	}
	if t.Every > 0 {
		timer = append(timer, sddbus.Property{Name: "OnUnitActiveSec", Value: dbus.MakeVariant(uint64(t.Every / time.Microsecond))})
	}
	svc := []sddbus.Property{
		sddbus.PropDescription(t.Description),
		sddbus.PropExecStart(t.Command, true),
		{Name: "CollectMode", Value: dbus.MakeVariant("inactive-or-failed")},
	}
	aux := []auxUnit{{Name: t.Name + ".service", Props: svc}}
	err := d.do(ctx, func(l *link) error {
		var job dbus.ObjectPath
		return l.bus.Object("org.freedesktop.systemd1", "/org/freedesktop/systemd1").
			CallWithContext(ctx, "org.freedesktop.systemd1.Manager.StartTransientUnit", 0, t.Name+".timer", "fail", timer, aux).Store(&job)
	})
	if err != nil {
		return fmt.Errorf("start the transient timer %s.timer: %w", t.Name, err)
	}
	return nil
}

// IsNoSuchUnit reports whether err is systemd saying a unit is not loaded
// (a transient timer that already ran and was unloaded, say).
func IsNoSuchUnit(err error) bool {
	var de dbus.Error
	return errors.As(err, &de) && (de.Name == "org.freedesktop.systemd1.NoSuchUnit")
}
