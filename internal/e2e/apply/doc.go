//go:build integration

// Package apply tests `sysroll apply`, render, lint, status and uninstall end
// to end: the real sysroll binary runs inside a testbed container and talks
// to that container's real systemd, which runs the real hello example.
//
// Every test installs its own service under its own name and ports
// (19000-19499), so the tests share one container. Run as root:
//
//	go test -tags integration -count=1 -v ./e2e/apply/
package apply
