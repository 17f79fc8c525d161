// Package fleetresume tests `sysroll fleet deploy --resume` end to end:
// the controller (the built sysroll, on the machine) killed with SIGKILL
// during a host's step, the hosts finishing on their own, and a resume from
// a fresh state directory (the journal rebuilt from the hosts' claims)
// against three hosts, each a real systemd in its own network namespace
// with a real sshd (e2etest.FleetMain).
// Integration tests only: go test -tags integration ./internal/e2e/fleetresume.
package fleetresume
