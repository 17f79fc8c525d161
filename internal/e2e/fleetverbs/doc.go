// Package fleetverbs tests the fleet verbs besides deploy end to end:
// `sysroll fleet restart`, `rollback [--to]`, `history` and `uninstall`,
// --skip-unreachable, and progressive delivery per host inside a fleet
// rollout (each host's step runs the service's rollout.steps and analysis:
// a release bad by its smoke metric on one host is caught there, and the
// fleet stops before the next host), with the controller (the built sysroll binary,
// run on the machine) against three hosts, each a real systemd in its own
// network namespace with a real sshd (e2etest.FleetMain), the hello
// service applied on each host first.
// Integration tests only: go test -tags integration ./internal/e2e/fleetverbs.
package fleetverbs
