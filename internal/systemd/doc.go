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
//
// # systemd re-executing
//
// systemctl daemon-reexec (run by every systemd package upgrade) closes all
// D-Bus connections. DBus notices (a call failing on a closed connection,
// or the request or signal connection ending while a job is waited for),
// connects again with backoff for up to ReconnectTimeout, and repeats the
// call when that is safe: reads, daemon-reload, reset-failed, enable and
// disable always; a start, stop or restart only when the unit's state shows
// the job never ran. The only subscription DBus holds, the JobRemoved
// match go-systemd installs, comes with every new connection. A job queued
// before the drop never reports its result on the new one: AwaitLost
// resolves it from the unit's Job, ActiveState, InvocationID and
// ExecMainStartTimestamp compared with before the job (ResolveLostJob).
package systemd
