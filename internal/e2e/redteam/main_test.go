//go:build integration

// Package redteam_test attacks sysroll on a real systemd the way a hostile
// environment would, after issue 9's hardening: every mutating verb while
// a deploy holds the lock and two deploys started at once; every state
// file replaced by a FIFO, a directory, a link, garbage or nothing, then
// the verbs that must still work; the state directory given away; hooks
// that escape into their own session. One throwaway testbed container is
// shared by the package's tests; each test uses its own service name and
// ports (24100-24299) and purges its service when done. Run as root:
//
//	go test -tags integration -p 1 -count=1 -v ./internal/e2e/redteam/
package redteam_test

import (
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
)

func TestMain(m *testing.M) {
	e2etest.Main(m, "sysroll-e2e-redteam")
}
