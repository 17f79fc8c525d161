//go:build integration

package zerodowntime

import (
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/schema"
)

// phaseAt returns when instance entered phase (the first time), or fails.
func phaseAt(t testing.TB, evs []schema.Event, instance, phase string) time.Time {
	t.Helper()
	for _, e := range evs {
		if e.Type == "phase" && e.Instance == instance && e.Phase == phase {
			return e.Time
		}
	}
	t.Fatalf("no %q phase event for instance %s", phase, instance)
	return time.Time{}
}
