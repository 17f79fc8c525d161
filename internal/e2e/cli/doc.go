// Package cli holds the end-to-end tests, on real systemd in a testbed
// container, of what sysroll does with hostile input and with the commands
// it starts: a --check, a hook or a probe that leaves children behind, and
// numeric flags that used to crash a rollout.
package cli
