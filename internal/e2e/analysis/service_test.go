//go:build integration

package analysis

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	promapi "github.com/sysroll/sysroll/internal/analysis/prom"
	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
)

// workRoot holds the service files and releases inside the container.
const workRoot = "/srv/an"

// service is one per-port hello service with an analysis: block.
type service struct {
	t        *testing.T
	name     string
	ports    []int
	analysis string   // the analysis: block, indented, without its key
	rollout  []string // extra rollout: lines (haproxy: ...)
	steps    string   // rollout.steps instead of the ramp [1, 3], e.g. [{batch: 1}, {pause: 30s}, {batch: "100%"}]
	prom     string   // Prometheus' base URL, once started
}

func (s *service) yaml() string {
	ports := make([]string, len(s.ports))
	for i, p := range s.ports {
		ports[i] = strconv.Itoa(p)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\ncommand: \"{release}/hello --port {port}\"\ninstances: [%s]\n", s.name, strings.Join(ports, ", "))
	b.WriteString("restart_sec: 1s\nstop_timeout: 15s\nhealth:\n  http: {url: \"http://127.0.0.1:{port}/healthz\"}\n")
	b.WriteString("  interval: 200ms\n  timeout: 200ms\n  healthy_for: 1s\n  deadline: 15s\n")
	// The canary first, then the rest; a failure budget of 1, which an
	// analysis failure must not use.
	order := "ramp: [1, 3]"
	if s.steps != "" {
		order = "steps: " + s.steps
	}
	fmt.Fprintf(&b, "rollout:\n  %s\n  failure_budget: 1\n  drain_timeout: 30s\n", order)
	for _, l := range s.rollout {
		fmt.Fprintf(&b, "  %s\n", l)
	}
	if s.analysis != "" {
		b.WriteString("analysis:\n" + s.analysis)
	}
	return b.String()
}

func (s *service) file() string { return path.Join(workRoot, s.name, "service.yaml") }

func (s *service) install() {
	s.t.Helper()
	e2etest.InstallService(s.t, s.name, s.file(), s.yaml(), s.release("v1"), "v1")
	waitFor(s.t, 20*time.Second, s.name+" healthy", func() bool {
		st, err := e2etest.TryStatus(s.t, s.name)
		return err == nil && st.Healthy == len(s.ports)
	})
}

func (s *service) reapply() {
	s.t.Helper()
	e2etest.WriteFile(s.t, s.file(), s.yaml(), 0o644)
	if r := e2etest.Sysroll(s.t, "apply", s.file()); r.Code != 0 {
		s.t.Fatalf("apply: %s", r)
	}
}

func (s *service) release(version string, flags ...string) string {
	s.t.Helper()
	return e2etest.HelloRelease(s.t, path.Join(workRoot, s.name, "releases", version), version, flags...)
}

func (s *service) deploy(version, dir string) e2etest.Result {
	s.t.Helper()
	return e2etest.Sysroll(s.t, "deploy", s.name, "--artifact", dir, "--version", version, "--json")
}

func (s *service) instances() []string {
	out := make([]string, len(s.ports))
	for i, p := range s.ports {
		out[i] = strconv.Itoa(p)
	}
	return out
}

func (s *service) targets() []string {
	out := make([]string, len(s.ports))
	for i, p := range s.ports {
		out[i] = fmt.Sprintf("127.0.0.1:%d", p)
	}
	return out
}

func (s *service) units() []string {
	var out []string
	for _, in := range s.instances() {
		out = append(out, fmt.Sprintf("%s@%s.service", s.name, in))
	}
	return out
}

func (s *service) invocations() map[string]string {
	s.t.Helper()
	return e2etest.Invocations(s.t, s.units())
}

func (s *service) haproxy(frontend int) *e2etest.HAProxy {
	s.t.Helper()
	h := e2etest.StartHAProxy(s.t, e2etest.HAProxyOptions{Backend: s.name, Ports: s.ports, Frontend: frontend, Balance: "roundrobin"})
	s.rollout = []string{h.RolloutLine()}
	s.reapply()
	return h
}

// promWait waits until Prometheus has a sample of query for every
// instance, so the preflight sees the baseline.
func promWait(t *testing.T, base, query string, n int) {
	t.Helper()
	c, err := promapi.New(base, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "prometheus has "+query, func() bool {
		v, _, err := c.Query(context.Background(), query, time.Now())
		return err == nil && strings.Count(v.String(), "=>") >= n
	})
}

// promValue is the single sample of an instant query now, nil when the
// result is empty.
func promValue(t *testing.T, base, query string) *float64 {
	t.Helper()
	c, err := promapi.New(base, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	v, _, err := c.Query(context.Background(), query, time.Now())
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	vec, ok := v.(model.Vector)
	if !ok {
		t.Fatalf("%s: %s, want a vector", query, v.Type())
	}
	switch len(vec) {
	case 0:
		return nil
	case 1:
		f := float64(vec[0].Value)
		return &f
	}
	t.Fatalf("%s: %d series, want at most 1", query, len(vec))
	return nil
}

// releasesOf is each instance's release per status.
func releasesOf(t *testing.T, name string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, in := range e2etest.Status(t, name).Instances {
		out[in.Instance] = in.Release
	}
	return out
}

func eventsOf(evs []schema.Event, typ string) []schema.Event {
	var out []schema.Event
	for _, e := range evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func lastRecord(t *testing.T, name string) release.Record {
	t.Helper()
	return e2etest.LastRecord(t, name)
}

// promBlock is the analysis block over Prometheus at base: the error ratio
// of the canary, absolute (the last batch has no baseline) and against the
// baseline; extra is appended to the metrics list.
func promBlock(base, extra string) string {
	return fmt.Sprintf(`  initial_delay: 3s
  interval: 2s
  count: 3
  window: 30s
  prometheus: {address: "%s", timeout: 2s, instance_label: "127.0.0.1:{port}"}
  metrics:
    - name: errors
      errors: sum(increase(hello_requests_total{instance=~"{instances}",code=~"5.."}[{window}]))
      total: sum(increase(hello_requests_total{instance=~"{instances}"}[{window}]))
      max: 0.02
      vs_baseline: {max_ratio: 2, max_delta: 0.005}
      min_total: 50
%s`, base, extra)
}

// assertOnlyCanaryRestarted fails the test if any instance but the first
// (the canary) has another InvocationID than in before.
func (s *service) assertOnlyCanaryRestarted(before map[string]string) {
	s.t.Helper()
	after := s.invocations()
	for _, u := range s.units()[1:] {
		if after[u] != before[u] {
			s.t.Errorf("%s was restarted: InvocationID %s -> %s", u, before[u], after[u])
		}
	}
}

// assertAllOn fails the test unless every instance is on version.
func (s *service) assertAllOn(version string) {
	s.t.Helper()
	for in, v := range releasesOf(s.t, s.name) {
		if v != version {
			s.t.Errorf("instance %s on %s, want %s", in, v, version)
		}
	}
}
