// Package proc runs the commands sysroll starts — release checks, drain
// hooks, exec health probes, journalctl, systemd-analyze — so that none of
// them can outlive its step or exhaust sysroll's memory.
//
// Each command runs in its own process group. When its context ends (a
// timeout, Ctrl-C) the whole group gets SIGTERM, and SIGKILL once the grace
// (the Cmd's WaitDelay) has passed; whatever is left of the group when the
// command has been waited for is killed too. Killing only the process we
// started would leave `sleep 1000` of `sh -c 'sleep 1000 & sleep 1000'`
// running, holding the output pipe open and, as root, doing who knows what.
//
// A child that calls setsid(2) leaves the group; sysroll is a child
// subreaper (prctl PR_SET_CHILD_SUBREAPER), so such an orphan becomes its
// child, and Run kills every child of sysroll in another session with its
// group. (A transient systemd scope would also catch it, at the price of a
// D-Bus round trip per health probe.) A child that only moves to a group of
// its own in sysroll's session (setpgid, `set -m`) is not told apart from
// the commands sysroll runs itself and still escapes.
//
// Output is captured through Tail, which keeps the last bytes written to it
// and never more: a command printing /dev/zero costs a fixed amount of
// memory.
package proc
