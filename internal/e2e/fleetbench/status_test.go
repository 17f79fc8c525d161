//go:build integration

package fleetbench

import (
	"strings"
	"testing"
)

// BenchmarkFleetStatus is `sysroll fleet status FILE` of the 10 hosts,
// the controller's whole process (ssh -G, connect, handshake, every
// host's status, in parallel); the target is under 1 s.
func BenchmarkFleetStatus(b *testing.B) {
	s := sharedService(b)
	status := func() run {
		r := s.controller(b, "fleet", "status", s.file(1), "--ssh-config", s.f.SSHConfigPath())
		if n := strings.Count(r.stdout, " 4/4 healthy"); n != nHosts {
			b.Fatalf("fleet status: %d hosts with 4/4 healthy, want %d:\n%s", n, nHosts, r.stdout)
		}
		return r
	}
	// The first after the boot reads the binary into each host's page
	// cache: reported apart, not in the figure.
	cold := status()
	var took Samples
	for b.Loop() {
		took = append(took, ms(status().took))
	}
	b.Logf("fleet status of %d hosts, ms: %s; the first after boot %.0f", nHosts, took.Spread("%.0f"), ms(cold.took))
	b.ReportMetric(took.Mean(), "status-ms")
	b.ReportMetric(took.Max(), "status-max-ms")
}
