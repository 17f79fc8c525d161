//go:build integration

// Package directives tests, on real systemd, that raw unit:/service:
// directives cannot defeat sysroll's promises: an ExecStartPre= with the '+'
// prefix really runs as root outside the sandbox (so refusing it matters),
// it is refused unless hardening.allow_raw names it, an allowed one is shown
// by `sysroll status` and `sysroll render`, and a typo or a Requires= between
// instances is refused before anything is installed. spelling_test.go holds
// the directives systemd reads differently than a naive check would: a '+'
// inside quotes, as a C escape or after ';' really runs as root, and
// CPUSchedulingPolicy=1 really is SCHED_FIFO.
//
// One container (sysroll-e2e-directives) for the package; every test uses
// its own service name and ports in 23850-23899 and 24001-24010. Run as root:
//
//	go test -tags integration -p 1 -count=1 ./internal/e2e/directives/
package directives
