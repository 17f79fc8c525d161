// Package fleetctl tests `sysroll fleet deploy` end to end: the controller
// (the built sysroll binary, run on the machine) against three hosts, each
// a real systemd in its own network namespace with a real sshd
// (e2etest.FleetMain), the hello service applied on each host first; and
// `fleet deploy --resume` after the controller (and a host step) is killed
// with SIGKILL, from a fresh state directory (resume_test.go, step_test.go).
// Integration tests only: go test -tags integration ./internal/e2e/fleetctl.
package fleetctl
