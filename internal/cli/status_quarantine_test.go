package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
)

// TestPrintStatusQuarantined: plain status names every quarantined file,
// what it was, where it went and why.
func TestPrintStatusQuarantined(t *testing.T) {
	st := &schema.Status{Service: "hello", Target: "active/active", Quarantined: []release.Quarantined{{
		Path: "/s/hello/known-good.corrupt-20261201T111500Z", Original: "/s/hello/known-good", What: "known-good history",
		Reason: "is not valid JSON at byte 3", When: time.Date(2026, 12, 1, 11, 15, 0, 0, time.UTC),
	}}}
	var out bytes.Buffer
	printStatus(&out, st)
	for _, want := range []string{"QUARANTINED: 1 corrupt state file(s)", "known-good history /s/hello/known-good", "to /s/hello/known-good.corrupt-20261201T111500Z: is not valid JSON at byte 3"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status output lacks %q:\n%s", want, out.String())
		}
	}
}
