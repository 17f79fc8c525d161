//go:build integration

package apps

import (
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// TestMain boots one container for the whole package: every test uses its
// own service name and ports, so they share it (and run in parallel).
func TestMain(m *testing.M) {
	e2etest.Main(m, "sysroll-e2e-apps")
}
