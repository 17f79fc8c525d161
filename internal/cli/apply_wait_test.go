package cli

import (
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/health"
	"github.com/sysroll/sysroll/internal/host"
)

// The wait's lines: the gate as it opens, each result, and for a failure
// why, the last check and the journal lines.
func TestPrintWait(t *testing.T) {
	var b strings.Builder
	printWait(&b, host.WaitEvent{Type: host.WaitWaiting, Unit: "hello@8081.service", Gate: health.Gate{HealthyFor: 2e9, Deadline: 6e10}})
	printWait(&b, host.WaitEvent{Type: host.WaitHealthy, Unit: "hello@8081.service", Result: &host.InstanceWait{TookMS: 2049}})
	printWait(&b, host.WaitEvent{Type: host.WaitFailed, Unit: "hello@8082.service", Result: &host.InstanceWait{TookMS: 420,
		Error: "crashed: hello@8082.service is activating (auto-restart)", Health: "GET http://127.0.0.1:8082/healthz: 200 OK",
		Logs: []string{"listening", "crashing on purpose"}}})
	want := `hello@8081.service: waiting for the health gate (ready, then healthy for 2s; deadline 1m0s)
hello@8081.service: healthy after 2s
hello@8082.service: FAILED after 400ms: crashed: hello@8082.service is activating (auto-restart)
  last check: GET http://127.0.0.1:8082/healthz: 200 OK
  its last journal lines:
    listening
    crashing on purpose
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
