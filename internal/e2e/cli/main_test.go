//go:build integration

package cli

import (
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// TestMain boots one container for the package: every test uses its own
// service name and ports (23600-23799).
func TestMain(m *testing.M) {
	e2etest.Main(m, "sysroll-e2e-input")
}
