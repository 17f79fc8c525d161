// Package install puts rendered units on disk and converges systemd to them
// without disturbing what already runs: unchanged files are not rewritten,
// daemon-reload happens only when a file changed, new instances are started
// one by one, removed ones stopped, and a change that needs the running
// instances restarted is reported (for a rolling `sysroll restart`) rather
// than carried out by restarting them all.
package install
