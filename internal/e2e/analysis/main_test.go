//go:build integration

package analysis

import (
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// TestMain boots one container for the package: every test has its own
// service name and ports, so they share it.
func TestMain(m *testing.M) {
	e2etest.Main(m, "sysroll-e2e-an")
}
