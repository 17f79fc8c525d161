//go:build integration

// Package steps_test runs rollout.steps end to end against a real systemd
// (one throwaway testbed container for the package): a timed pause that
// passes and is seen in the events, a canary crashing during the pause
// (its batch fails and is rolled back, later instances untouched), and a
// kill -9 or a Ctrl-C during the pause (status and the record tell the
// truth, deploy --resume waits the rest of the pause, watched, and
// completes).
//
// Each test uses its own service name and ports (25900-25949). Run as root:
//
//	go test -tags integration -count=1 -v ./internal/e2e/steps/
package steps_test

import (
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
)

func TestMain(m *testing.M) {
	e2etest.Main(m, "sysroll-e2e-steps")
}
