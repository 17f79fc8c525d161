package rollout_test

import (
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/health"
	"github.com/sysroll/sysroll/internal/rollout"
)

// BenchmarkOverhead measures the engine's own cost per instance (journal
// saves, events, preflights, state reads) with instant jobs and a gate that
// passes at its first check. The real overhead against systemd is measured
// on the testbed; Record.Instances' Started/Ended give it per instance.
func BenchmarkOverhead(b *testing.B) {
	const n = 10
	for b.Loop() {
		b.StopTimer()
		w := newWorld(b, n)
		w.f.SetJobTime(0)
		spec := w.spec("v2")
		spec.Gate = health.Gate{Interval: time.Second, HealthyFor: -1, Deadline: 10 * time.Second}
		deps := w.deps()
		deps.Logs = nil
		b.StartTimer()
		if _, err := rollout.Run(b.Context(), spec, deps); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/instance")
}
