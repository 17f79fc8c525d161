package e2etest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Event mirrors one line of `sysroll deploy --json` (and the other rollout
// commands' --json): the fields the end-to-end tests check.
type Event struct {
	Time     time.Time `json:"time"`
	Type     string    `json:"type"`
	Instance string    `json:"instance"`
	Phase    string    `json:"phase"`
	Batch    int       `json:"batch"`
	Message  string    `json:"message"`
	Health   string    `json:"health"`
	Logs     []string  `json:"logs"`
	Result   string    `json:"result"`
	Elapsed  float64   `json:"elapsed_seconds"`
}

// ParseEvents parses the standard output of a --json run into its events,
// passing over lines that are not JSON objects (the PID line of a
// background run). A line that starts like JSON but does not parse fails
// the test.
func ParseEvents(t testing.TB, out string) []Event {
	t.Helper()
	var evs []Event
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(l, "{") {
			continue
		}
		var e Event
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("not a JSON event: %q: %v", l, err)
		}
		evs = append(evs, e)
	}
	return evs
}
