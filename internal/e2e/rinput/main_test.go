//go:build integration

package rinput

import (
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
)

func TestMain(m *testing.M) {
	e2etest.Main(m, "sysroll-e2e-r1")
}
