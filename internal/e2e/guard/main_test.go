//go:build integration

// Package guard_test proves on a real systemd what guards the engine keeps
// against a world that changes under it: a second command while a rollout
// holds the lock, an instance removed during an interrupted rollout, a
// release deleted or changed (or a link pointed away) behind sysroll's
// back, a rollback killed mid-way, a deploy that halted partway undone by
// rollback (also when that rollback is killed and deploy --resume follows). One throwaway testbed container is
// shared by the package's tests; each test uses its own service name and
// ports (23000-23199) and purges its service when done. Run as root:
//
//	go test -tags integration -p 1 -count=1 -v ./internal/e2e/guard/
package guard_test

import (
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
)

func TestMain(m *testing.M) {
	e2etest.Main(m, "sysroll-e2e-guard")
}
