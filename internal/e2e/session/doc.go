//go:build integration

// Package session proves, end to end, that however the session running
// `sysroll deploy` ends, the rollout stops safely: a lost terminal
// (SIGHUP) or a viewer that stops reading (standard output a pipe whose
// reader goes away, as with `ssh host sysroll deploy …` when the
// connection drops) mid-gate, behind a strict HAProxy, under load, loses
// no request, leaves no server in drain or maintenance and no instance
// stopped, records the rollout as interrupted, and `deploy --resume`
// completes it.
//
// The real sysroll binary and the hello example run inside a throwaway
// systemd (testbed container sysroll-e2e-session); HAProxy runs on the
// host as a child process of the test. Ports 22100-22199 belong to these
// tests. Run as root:
//
//	go test -tags integration -count=1 -v ./internal/e2e/session/
package session
