//go:build integration

package fleetbench

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkFleetDeploy rolls a new release (4 instances on each of the 10
// hosts) per iteration, with fleet.hosts max_parallel 1 and 5 (batch
// 100%: 10 batches of 1 host, or 2 of 5). ratio is the controller's wall
// time (connect, handshake, copy and stage included) over the sum, over
// the host batches, of the slowest host's own rollout time; the target
// is at most 1.10.
func BenchmarkFleetDeploy(b *testing.B) {
	for _, mp := range []int{1, 5} {
		b.Run(fmt.Sprintf("max_parallel=%d", mp), func(b *testing.B) {
			s := sharedService(b)
			var total, slowest, ratio, prep, sent Samples
			for b.Loop() {
				b.StopTimer()
				version, dir := s.release(b)
				b.StartTimer()
				r, ro := s.deploy(b, mp, version, dir)
				if len(ro.Batches) != (nHosts+mp-1)/mp {
					b.Fatalf("%d host batches, want %d", len(ro.Batches), (nHosts+mp-1)/mp)
				}
				if ro.Sent == 0 {
					b.Fatalf("fleet deploy of the new release %s sent 0 bytes", version)
				}
				sum := ro.SlowestSum()
				total = append(total, r.took.Seconds())
				slowest = append(slowest, sum.Seconds())
				ratio = append(ratio, r.took.Seconds()/sum.Seconds())
				prep = append(prep, ro.Hosts[ro.Batches[0][0]].Planned.Sub(r.start).Seconds())
				sent = append(sent, float64(ro.Sent))
				b.Logf("%s: %s in %s, slowest-host sum %s, ratio %.3f, %d bytes sent", version, b.Name(),
					r.took.Round(time.Millisecond), sum.Round(time.Millisecond), r.took.Seconds()/sum.Seconds(), ro.Sent)
			}
			b.Logf("total s %s; slowest-sum s %s; ratio %s; prepare s %s",
				total.Spread("%.2f"), slowest.Spread("%.2f"), ratio.Spread("%.3f"), prep.Spread("%.2f"))
			b.ReportMetric(total.Mean(), "total-s")
			b.ReportMetric(slowest.Mean(), "slowest-sum-s")
			b.ReportMetric(ratio.Mean(), "ratio")
			b.ReportMetric(ratio.Max(), "ratio-max")
			b.ReportMetric(prep.Mean(), "prepare-s")
			b.ReportMetric(sent.Mean(), "sent-B/op")
		})
	}
}
