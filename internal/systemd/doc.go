// Package systemd is sysroll's only seam to systemd.
//
// Everything the rest of sysroll needs from systemd goes through the small
// Manager interface: reload unit files, run a start/stop/restart job and wait
// for its result, and read unit state. The D-Bus implementation (DBus) talks to
// PID 1 through github.com/coreos/go-systemd/v22/dbus; tests drive the fake in
// package systemdtest instead.
//
// Job results follow org.freedesktop.systemd1(5): every result other than
// "done" is returned as a *JobError so callers can decide with errors.As.
package systemd
