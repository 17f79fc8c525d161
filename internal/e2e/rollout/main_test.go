//go:build integration

// Package rollout_test runs sysroll's rolling deploys end to end against a
// real systemd: the sysroll binary and the hello example, inside one
// throwaway testbed container shared by the tests of this package. The
// container shares the host's network, so the tests poll the instances from
// the host as a client would, while sysroll rolls them inside.
//
// Each test uses its own service name and ports (19500-19999) and
// uninstalls its service when done. Run as root:
//
//	go test -tags integration -count=1 -v ./e2e/rollout/
//	go test -tags integration -run XXX -bench Overhead -benchtime 1x ./e2e/rollout/
package rollout_test

import (
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
)

func TestMain(m *testing.M) {
	e2etest.Main(m, "sysroll-e2e-rollout")
}
