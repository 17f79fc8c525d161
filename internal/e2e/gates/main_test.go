//go:build integration

// Package gates_test runs approval gates and the verbs around them end to
// end against a real systemd (one throwaway testbed container): a deploy
// stops at `pause: {}` with exit 3 and no sysroll process left, the lock
// free and the instances serving; `sysroll promote` continues it from a
// separate command; a stale promote (the rollout moved on, or the canary
// restarted since) is refused or fails the batch; `sysroll abort` reverts
// every instance the rollout touched; `sysroll pause` from a second
// command stops a running rollout after its batch and `sysroll resume`
// continues it; an expired gate's transient systemd timer runs the expiry
// action with no sysroll process alive.
//
// Each test uses its own service name and ports (26000-26059). Run as root:
//
//	go test -tags integration -count=1 -v ./internal/e2e/gates/
package gates_test

import (
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
)

func TestMain(m *testing.M) {
	e2etest.Main(m, "sysroll-e2e-gates")
}
