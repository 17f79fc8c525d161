//go:build integration

package fleetlb

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/traffic"
)

// load runs requests through l's frontend until the returned stop is
// called, which returns what they got.
func load(l *lb) (stop func() traffic.Snapshot) {
	ctx, cancel := context.WithCancel(context.Background())
	gen := &traffic.Generator{URL: l.URL("/work?ms=10"), Concurrency: 4}
	stats, wait := gen.Start(ctx)
	return func() traffic.Snapshot {
		cancel()
		wait()
		return stats.Snapshot()
	}
}

// checkLoad: nothing failed through the balancer, and enough went through
// it for that to mean something.
func checkLoad(t *testing.T, snap traffic.Snapshot, took time.Duration) {
	t.Helper()
	t.Logf("through HAProxy: %d requests, %d failed (%s), p50 %s, p99 %s, max %s, during %s",
		snap.Requests, snap.Failed, snap.KindsString(), snap.P50, snap.P99, snap.Max, took.Round(time.Millisecond))
	if snap.Failed != 0 {
		t.Errorf("%d of %d requests failed through the balancer: %s", snap.Failed, snap.Requests, snap.KindsString())
	}
	if snap.Requests < 500 {
		t.Errorf("only %d requests went through the balancer: the load did not run", snap.Requests)
	}
}

func (s *service) deploy(t *testing.T, version, failOn string) result {
	t.Helper()
	return s.controller("fleet", "deploy", s.file(), "--artifact", s.release(version, failOn), "--version", version,
		"--ssh-config", s.f.SSHConfigPath(), "--state-dir", t.TempDir())
}

// A good release through `sysroll fleet deploy`, host batch 1, with one
// HAProxy on the machine in front of all six instances: every instance is
// drained by HAProxy (seen in its show stat) before its restart, and no
// request fails.
func TestFleetBehindOneHAProxy(t *testing.T) {
	f := e2etest.SharedFleet(t)
	s := newService(t, "flb-good", 25490, f.Hosts(), 25401, 25402)
	l := startLB(t, s, 25498)
	stop := load(l)
	start := time.Now()
	r := s.deploy(t, "v2", "")
	snap := stop()
	if r.Code != 0 {
		t.Fatalf("fleet deploy v2: %s", r)
	}
	t.Logf("fleet deploy v2: %s", r.Took.Round(time.Millisecond))
	checkLoad(t, snap, time.Since(start))
	for _, h := range f.Hosts() {
		if got := s.releases(h); got != s.want("v2") {
			t.Errorf("%s: instances %s, want %s", h.Name(), got, s.want("v2"))
		}
	}
	if got, want := strings.Join(l.drained(), " "), strings.Join(l.servers, " "); got != want {
		t.Errorf("HAProxy showed in DRAIN: %s; want every server: %s", got, want)
	}
}

// A release that fails on h2 only: h1 is on v3, h2 rolled itself back to
// v1, h3 was never touched (and HAProxy never drained it), and still no
// request failed through the balancer.
func TestFleetBehindOneHAProxyOneHostFails(t *testing.T) {
	f := e2etest.SharedFleet(t)
	s := newService(t, "flb-fail", 25491, f.Hosts(), 25411, 25412)
	marker := "/etc/flb-fail-here"
	h2 := f.Host("h2")
	h2.MustExec(t, "touch", marker)
	t.Cleanup(func() { h2.MustExec(t, "rm", "-f", marker) })
	l := startLB(t, s, 25497)
	stop := load(l)
	start := time.Now()
	r := s.deploy(t, "v3", marker)
	snap := stop()
	if r.Code != 1 {
		t.Fatalf("fleet deploy of a release failing on h2: %s", r)
	}
	t.Logf("fleet deploy v3 (fails on h2): exit 1 after %s", r.Took.Round(time.Millisecond))
	checkLoad(t, snap, time.Since(start))
	for h, want := range map[string]string{"h1": s.want("v3"), "h2": s.want("v1"), "h3": s.want("v1")} {
		if got := s.releases(f.Host(h)); got != want {
			t.Errorf("%s: instances %s, want %s", h, got, want)
		}
	}
	drained := strings.Join(l.drained(), " ")
	for _, srv := range []string{"h1-25411", "h1-25412", "h2-25411"} {
		if !strings.Contains(drained, srv) {
			t.Errorf("HAProxy never showed %s in DRAIN (drained: %s)", srv, drained)
		}
	}
	if strings.Contains(drained, "h3-") {
		t.Errorf("HAProxy drained h3's servers (%s): h3 was to be left untouched", drained)
	}
	table := r.Stdout[strings.LastIndex(r.Stdout, "HOST"):]
	for _, want := range []string{"h1  succeeded", "h2  rolled-back", "h3  untouched"} {
		if !strings.Contains(strings.Join(strings.Fields(table), "  "), strings.Join(strings.Fields(want), "  ")) {
			t.Errorf("summary lacks %q:\n%s", want, table)
		}
	}
}
