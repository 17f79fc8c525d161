package e2etest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/schema"
)

// ParseEvents parses the standard output of a --json run into its events,
// passing over lines that are not JSON objects (the PID line of a
// background run). A line that starts like JSON but does not parse fails
// the test.
func ParseEvents(t testing.TB, out string) []schema.Event {
	t.Helper()
	var evs []schema.Event
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(l, "{") {
			continue
		}
		var e schema.Event
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("not a JSON event: %q: %v", l, err)
		}
		evs = append(evs, e)
	}
	return evs
}
