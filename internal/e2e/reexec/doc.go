// Package reexec holds the integration tests of issue 9, class 7: systemd
// itself re-executes (systemctl daemon-reexec, what a systemd package
// upgrade runs) in the middle of a rollout, on a real systemd in an nspawn
// container, with real HAProxy and traffic in front. Run with
// `go test -tags integration -p 1 ./internal/e2e/reexec/`.
package reexec
