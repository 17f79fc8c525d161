//go:build integration

package fleetbench

import (
	"context"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/fleet/controller"
	"github.com/sysroll/sysroll/internal/fleet/push"
	"github.com/sysroll/sysroll/internal/sshx"
)

// BenchmarkFleetOverhead is what the controller adds per host, in ms:
//
//   - connect, handshake and push-skipped are timed on the controller's
//     own Host (controller.SSHHost over a fresh sshx.Pool, as `fleet
//     deploy` builds them), one host at a time: the SSH connection (ssh -G
//     included), `version --json`, and `status` + `stage --has` (what
//     replaces the copy on a host that has the build and the release);
//     and, apart, one host's status and claims: what a preflight reads of
//     each host, to set against the preflight of all 10 at once;
//   - start, launch, follow and preflight come from the --json stream of a
//     deploy (max_parallel 1) of the release every host already has:
//     start is the batch's note to "started UNIT" (claim written,
//     systemd-run returned), launch that to the step's first event (the
//     host's sysroll starting), follow the step's rollout-end to the
//     batch's end note (unit end seen, events drained, record read),
//     preflight the previous batch's end to this one's note (every host's
//     status and claims).
//
// That deploy must send 0 bytes: the release is on every host.
func BenchmarkFleetOverhead(b *testing.B) {
	s := sharedService(b)
	version, dir := s.release(b)
	if _, ro := s.deploy(b, 5, version, dir); ro.Sent == 0 {
		b.Fatalf("the first deploy of %s sent nothing", version)
	}
	bin, err := push.PrepareBinary(s.bin())
	if err != nil {
		b.Fatal(err)
	}
	art, err := push.PrepareArtifact(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer art.Close()
	var connect, handshake, skip, read, start, launch, follow, preflight, own, sent Samples
	for b.Loop() {
		// Connect, handshake, the copy skipped: host by host.
		pool := sshx.NewPool(sshx.Options{Resolver: &sshx.OpenSSHResolver{ConfigFile: s.f.SSHConfigPath()}, NoAgent: true})
		for _, fh := range s.f.Hosts() {
			h := controller.NewSSHHost(pool, fh.Name(), bin, art)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			t0 := time.Now()
			if err := h.Connect(ctx); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if _, ok, err := h.Version(ctx); err != nil || !ok {
				b.Fatalf("%s: version: build there %v, %v", fh.Name(), ok, err)
			}
			t2 := time.Now()
			if _, err := h.Status(ctx, serviceName); err != nil {
				b.Fatal(err)
			}
			t3 := time.Now()
			if has, err := h.Has(ctx, serviceName, version, art.SHA256); err != nil || !has {
				b.Fatalf("%s: stage --has %s: %v, %v", fh.Name(), version, has, err)
			}
			t4 := time.Now()
			if _, err := h.Claims(ctx, serviceName); err != nil {
				b.Fatal(err)
			}
			t5 := time.Now()
			cancel()
			_ = h.Close()
			connect = append(connect, ms(t1.Sub(t0)))
			handshake = append(handshake, ms(t2.Sub(t1)))
			skip = append(skip, ms(t4.Sub(t2)))
			// What a preflight reads of each host: its status and claims.
			read = append(read, ms(t3.Sub(t2)+t5.Sub(t4)))
		}
		pool.Close()

		// Start and follow: the same release again, one host at a time.
		_, ro := s.deploy(b, 1, version, dir)
		if ro.Sent != 0 {
			b.Fatalf("the second deploy of %s sent %d bytes, want 0", version, ro.Sent)
		}
		sent = append(sent, float64(ro.Sent))
		for k, batch := range ro.Batches {
			h := ro.Hosts[batch[0]]
			start = append(start, ms(h.Started.Sub(h.Planned)))
			launch = append(launch, ms(h.First.Sub(h.Started)))
			follow = append(follow, ms(h.Done.Sub(h.End)))
			own = append(own, ms(h.Own()))
			if k > 0 {
				preflight = append(preflight, ms(h.Planned.Sub(ro.Hosts[ro.Batches[k-1][0]].Done)))
			}
		}
	}
	b.Logf("per host, ms (min / mean / max over hosts and iterations): connect %s; handshake %s; push skipped %s; "+
		"start %s; launch %s; follow %s; preflight (all 10 hosts at once) %s, one host's status and claims alone %s; the host's own (nothing to roll) %s",
		connect.Spread("%.0f"), handshake.Spread("%.0f"), skip.Spread("%.0f"), start.Spread("%.0f"),
		launch.Spread("%.0f"), follow.Spread("%.0f"), preflight.Spread("%.0f"), read.Spread("%.0f"), own.Spread("%.0f"))
	b.ReportMetric(connect.Mean(), "connect-ms")
	b.ReportMetric(handshake.Mean(), "handshake-ms")
	b.ReportMetric(skip.Mean(), "push-skipped-ms")
	b.ReportMetric(start.Mean(), "start-ms")
	b.ReportMetric(launch.Mean(), "launch-ms")
	b.ReportMetric(follow.Mean(), "follow-ms")
	b.ReportMetric(preflight.Mean(), "preflight-ms")
	b.ReportMetric(read.Mean(), "preflight-read-ms")
	b.ReportMetric(sent.Mean(), "sent-B/op")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
