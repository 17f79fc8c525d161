//go:build integration

package input

import (
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// TestMain boots one container for the whole package.
func TestMain(m *testing.M) {
	e2etest.Main(m, "sysroll-e2e-input1")
}
