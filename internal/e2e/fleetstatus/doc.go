// Package fleetstatus tests `sysroll fleet apply` and `sysroll fleet
// status` end to end: the controller (the built sysroll binary, run on the
// machine) against three hosts, each a real systemd in its own network
// namespace with a real sshd (e2etest.FleetMain), nothing installed on them
// beforehand. Integration tests only:
// go test -tags integration ./internal/e2e/fleetstatus.
package fleetstatus
