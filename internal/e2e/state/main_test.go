//go:build integration

// Package state_test proves on a real systemd that the state store never
// lets its own files stand in the way or be turned against it: corrupt
// records, metadata, known-good and applied.json files are quarantined and
// block neither deploy, history, rollback nor uninstall; a release name
// cannot destroy another release; a state directory someone else can
// change is refused; a planted lock link is not written through; a killed
// Stage's leftovers go at the next run; a release changed behind
// sysroll's back is repaired by deploying its artifact again. One throwaway testbed container is
// shared by the package's tests; each test uses its own service name and
// ports (23400-23599) and purges its service when done. Run as root:
//
//	go test -tags integration -p 1 -count=1 -v ./internal/e2e/state/
package state_test

import (
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
)

func TestMain(m *testing.M) {
	e2etest.Main(m, "sysroll-e2e-state")
}
