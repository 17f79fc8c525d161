//go:build integration

package hostside

import (
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// TestMain boots one container for the package: each test has its own
// service name and ports, so they share it.
func TestMain(m *testing.M) {
	e2etest.Main(m, "sysroll-e2e-hostside")
}
