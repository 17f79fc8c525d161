package inventory_test

import (
	"testing"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/inventory"
)

// A host's instances follow the service file's rules; the bound is the
// same number (this package cannot import config, which will import it).
func TestInstancesBoundIsConfigs(t *testing.T) {
	if inventory.MaxInstances != config.MaxInstances {
		t.Errorf("inventory.MaxInstances %d, config.MaxInstances %d", inventory.MaxInstances, config.MaxInstances)
	}
}
