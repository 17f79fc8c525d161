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
			var total, cpu, slowest, ratio, prep, cp, inBatch, between, tail, sent Samples
			var start, launch, follow Samples // per host, ms
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
				cpu = append(cpu, r.cpu.Seconds())
				slowest = append(slowest, sum.Seconds())
				ratio = append(ratio, r.took.Seconds()/sum.Seconds())
				o := ro.Overhead(r.start, r.start.Add(r.took))
				prep = append(prep, o.Prepare.Seconds())
				cp = append(cp, o.Copy.Seconds())
				for _, h := range ro.Hosts {
					start = append(start, ms(h.Started.Sub(h.Planned)))
					launch = append(launch, ms(h.First.Sub(h.Started)))
					follow = append(follow, ms(h.Done.Sub(h.End)))
				}
				inBatch = append(inBatch, o.InBatch.Seconds())
				between = append(between, o.Between.Seconds())
				tail = append(tail, o.Tail.Seconds())
				sent = append(sent, float64(ro.Sent))
				b.Logf("%s: %s in %s, slowest-host sum %s, ratio %.3f, %d bytes sent", version, b.Name(),
					r.took.Round(time.Millisecond), sum.Round(time.Millisecond), r.took.Seconds()/sum.Seconds(), ro.Sent)
			}
			b.Logf("total s %s; slowest-sum s %s; ratio %s; the controller's CPU s %s",
				total.Spread("%.2f"), slowest.Spread("%.2f"), ratio.Spread("%.3f"), cpu.Spread("%.2f"))
			b.Logf("the rest, s: prepare %s (of which up to the copy notes %s); in the batches %s; between them %s; tail %s",
				prep.Spread("%.2f"), cp.Spread("%.2f"), inBatch.Spread("%.2f"), between.Spread("%.2f"), tail.Spread("%.2f"))
			b.Logf("per host, ms: start %s; launch %s; follow (to the batch's end) %s", start.Spread("%.0f"), launch.Spread("%.0f"), follow.Spread("%.0f"))
			b.ReportMetric(total.Mean(), "total-s")
			b.ReportMetric(cpu.Mean(), "controller-cpu-s")
			b.ReportMetric(slowest.Mean(), "slowest-sum-s")
			b.ReportMetric(ratio.Mean(), "ratio")
			b.ReportMetric(ratio.Max(), "ratio-max")
			b.ReportMetric(prep.Mean(), "prepare-s")
			b.ReportMetric(inBatch.Mean(), "in-batch-s")
			b.ReportMetric(between.Mean(), "between-s")
			b.ReportMetric(tail.Mean(), "tail-s")
			b.ReportMetric(sent.Mean(), "sent-B/op")
		})
	}
}
