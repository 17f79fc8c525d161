//go:build integration

package reexec

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/schema"
	"github.com/sysroll/sysroll/internal/traffic"
)

// workRoot holds the service files and releases inside the container.
const workRoot = "/srv/reexec"

// service is one sysroll service of per-port instances behind HAProxy.
type service struct {
	t     *testing.T
	name  string
	ports []int
	h     *e2etest.HAProxy
}

// newService installs name on ports with release v1 (v1flags are hello's
// demo knobs), puts HAProxy on frontend in front of it and applies the
// service file again with the haproxy: drainer. Cleanup uninstalls it and
// stops HAProxy.
func newService(t *testing.T, name string, ports []int, frontend int, v1flags ...string) *service {
	t.Helper()
	s := &service{t: t, name: name, ports: ports}
	e2etest.InstallService(t, name, s.file(), s.yaml(""), s.release("v1", v1flags...), "v1")
	s.waitHealthy(30 * time.Second)
	s.h = e2etest.StartHAProxy(t, e2etest.HAProxyOptions{Backend: name, Ports: ports, Frontend: frontend, Balance: "roundrobin"})
	e2etest.WriteFile(t, s.file(), s.yaml(s.h.RolloutLine()), 0o644)
	e2etest.MustSysroll(t, "apply", s.file())
	return s
}

// yaml is the service file: a short gate (healthy for 2s), one instance
// per batch, rolled back on failure.
func (s *service) yaml(haproxy string) string {
	ports := make([]string, len(s.ports))
	for i, p := range s.ports {
		ports[i] = strconv.Itoa(p)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\ncommand: \"{release}/hello --port {port}\"\ninstances: [%s]\n", s.name, strings.Join(ports, ", "))
	b.WriteString("restart_sec: 1s\nstop_timeout: 15s\nhealth:\n")
	b.WriteString("  http: {url: \"http://127.0.0.1:{port}/healthz\"}\n")
	b.WriteString("  interval: 200ms\n  timeout: 200ms\n  healthy_for: 2s\n  deadline: 20s\n")
	b.WriteString("rollout:\n  batch: 1\n  drain_timeout: 10s\n  failure_action: rollback\n")
	if haproxy != "" {
		fmt.Fprintf(&b, "  %s\n", haproxy)
	}
	return b.String()
}

func (s *service) file() string { return path.Join(workRoot, s.name, "service.yaml") }

func (s *service) release(version string, flags ...string) string {
	s.t.Helper()
	return e2etest.HelloRelease(s.t, path.Join(workRoot, s.name, "releases", version), version, flags...)
}

func (s *service) waitHealthy(within time.Duration) {
	s.t.Helper()
	e2etest.WaitHealthy(s.t, s.name, len(s.ports), within)
}

// assertAllOn checks status: every instance on version, healthy, nothing
// left interrupted, and every HAProxy server UP.
func (s *service) assertAllOn(version string) {
	s.t.Helper()
	st := e2etest.Status(s.t, s.name)
	n := len(s.ports)
	if st.Releases[version] != n || st.Healthy != n || st.Interrupted != nil {
		s.t.Errorf("status: want all %d instances on %s and healthy, got releases %v, %d healthy, interrupted %v",
			n, version, st.Releases, st.Healthy, st.Interrupted != nil)
	}
	s.h.AssertAllUp("after the rollout")
}

// load sends traffic through HAProxy until the returned function is
// called, which reports what it saw and fails the test on any failed
// request.
func (s *service) load() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	gen := &traffic.Generator{URL: s.h.URL("/work?ms=5"), Concurrency: 4}
	stats, wait := gen.Start(ctx)
	start := time.Now()
	return func() {
		cancel()
		wait()
		snap := stats.Snapshot()
		s.t.Logf("traffic through haproxy: %d requests in %s, %d failed (%s)",
			snap.Requests, time.Since(start).Round(time.Millisecond), snap.Failed, snap.KindsString())
		if snap.Requests == 0 {
			s.t.Error("no request went through haproxy")
		}
		if snap.Failed != 0 {
			s.t.Errorf("%d requests through haproxy failed (%s)", snap.Failed, snap.KindsString())
		}
	}
}

// reexecOn waits for the event match, then after delay runs systemctl
// daemon-reexec in the container. With wantJob, unit must have a job in
// progress (the restart job queued, waiting for READY=1) just before the
// reexec: the test then proves a job whose result was lost.
func reexecOn(t *testing.T, b *e2etest.Background, what string, delay time.Duration, unit string, wantJob bool, match func(schema.Event) bool) {
	t.Helper()
	b.WaitEvent(60*time.Second, match)
	time.Sleep(delay)
	p := e2etest.UnitProps(t, []string{unit}, "Job", "ActiveState", "SubState")[unit]
	start := time.Now()
	reexec(t)
	t.Logf("daemon-reexec %s (%s: %s/%s, job %q) took %s", what, unit, p["ActiveState"], p["SubState"], p["Job"],
		time.Since(start).Round(time.Millisecond))
	if wantJob && (p["Job"] == "" || p["ActiveState"] != "activating") {
		t.Errorf("%s had no job in progress at the reexec: %v", unit, p)
	}
	if !wantJob && p["ActiveState"] != "active" {
		t.Errorf("%s was not active at the reexec: %v", unit, p)
	}
}

func isPhase(inst, phase string) func(schema.Event) bool {
	return func(e schema.Event) bool { return e.Type == "phase" && e.Instance == inst && e.Phase == phase }
}
