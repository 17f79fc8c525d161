//go:build integration

// Package rinput tests, on real systemd, raw directives that were let
// through in spellings systemd reads differently than sysroll did: a '+'
// prefix inside quotes or written as a C escape really runs the command as
// root, and a scheduling policy written as a number really is realtime.
// Each is refused by apply unless hardening.allow_raw names it; allowed, it
// does what systemd says and status shows it.
//
// One container (sysroll-e2e-r1) for the package; every test uses its own
// service name and ports in 24000-24099. Run as root:
//
//	go test -tags integration -p 1 -count=1 ./internal/e2e/rinput/
package rinput
