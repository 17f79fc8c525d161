//go:build integration

package zerodowntime

import (
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
)

// workRoot holds the service files, releases and hook scripts the tests
// write inside the container.
const workRoot = "/srv/zd"

// service is one sysroll service a test installs in the container: either
// count instances sharing one socket on listen, or one instance per port.
type service struct {
	t      testing.TB
	name   string
	listen string // shared socket address; "" for per-port instances
	count  int    // instances with listen
	ports  []int  // per-port instances
	// rollout holds extra lines of the rollout: section (haproxy: ...).
	rollout []string
	// extra is appended to the file as top-level YAML (hooks: ...).
	extra      string
	healthyFor time.Duration // default 1s
}

// yaml is the service file. The gate is short (ready + 1s) to keep the
// suite fast; drain_timeout is long so that a drain that returns early is
// the drainer's doing, not the engine's bound.
func (s *service) yaml() string {
	hf := s.healthyFor
	if hf == 0 {
		hf = time.Second
	}
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\n", s.name)
	if s.listen != "" {
		fmt.Fprintf(&b, "command: \"{release}/hello --instance {instance}\"\n")
		fmt.Fprintf(&b, "instances: {count: %d}\n", s.count)
		fmt.Fprintf(&b, "listen: %s\n", s.listen)
	} else {
		ports := make([]string, len(s.ports))
		for i, p := range s.ports {
			ports[i] = strconv.Itoa(p)
		}
		fmt.Fprintf(&b, "command: \"{release}/hello --port {port}\"\n")
		fmt.Fprintf(&b, "instances: [%s]\n", strings.Join(ports, ", "))
	}
	b.WriteString("restart_sec: 1s\nstop_timeout: 15s\nhealth:\n")
	if s.listen == "" {
		b.WriteString("  http: {url: \"http://127.0.0.1:{port}/healthz\"}\n")
	}
	fmt.Fprintf(&b, "  interval: 200ms\n  timeout: 200ms\n  healthy_for: %s\n  deadline: 15s\n", hf)
	b.WriteString("rollout:\n  batch: 1\n  drain_timeout: 30s\n")
	for _, l := range s.rollout {
		fmt.Fprintf(&b, "  %s\n", l)
	}
	b.WriteString(s.extra)
	return b.String()
}

// file is where the service file lives inside the container.
func (s *service) file() string { return path.Join(workRoot, s.name, "service.yaml") }

// install writes the service file, applies it with release v1 and waits
// until every instance is up and healthy. Cleanup uninstalls it.
func (s *service) install() {
	s.t.Helper()
	e2etest.InstallService(s.t, s.name, s.file(), s.yaml(), s.release("v1"), "v1")
	s.waitHealthy(20 * time.Second)
}

// reapply writes the service file again and applies it: a change of the
// rollout: section only, which restarts nothing.
func (s *service) reapply() e2etest.Result {
	s.t.Helper()
	e2etest.WriteFile(s.t, s.file(), s.yaml(), 0o644)
	return e2etest.Sysroll(s.t, "apply", s.file())
}

// release writes a hello release for version (flags are hello's demo
// knobs) and returns its directory inside the container.
func (s *service) release(version string, flags ...string) string {
	s.t.Helper()
	return e2etest.HelloRelease(s.t, path.Join(workRoot, s.name, "releases", version), version, flags...)
}

func (s *service) sysroll(args ...string) e2etest.Result {
	s.t.Helper()
	return e2etest.Sysroll(s.t, args...)
}

// instances are the instance names sysroll uses.
func (s *service) instances() []string {
	if s.listen != "" {
		var names []string
		for i := range s.count {
			names = append(names, strconv.Itoa(i+1))
		}
		return names
	}
	var names []string
	for _, p := range s.ports {
		names = append(names, strconv.Itoa(p))
	}
	return names
}

func (s *service) unit(inst string) string { return fmt.Sprintf("%s@%s.service", s.name, inst) }

// waitHealthy waits until `sysroll status` sees every instance running
// and healthy.
func (s *service) waitHealthy(within time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for {
		st, err := s.tryStatus()
		n := len(s.instances())
		if err == nil && st.Running == n && st.Healthy == n {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s: not every instance running and healthy after %s: %+v %v", s.name, within, st, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// invocations returns each instance's InvocationID, by instance name.
func (s *service) invocations() map[string]string {
	s.t.Helper()
	var units []string
	for _, in := range s.instances() {
		units = append(units, s.unit(in))
	}
	got := e2etest.Invocations(s.t, units)
	m := map[string]string{}
	for _, in := range s.instances() {
		m[in] = got[s.unit(in)]
		if m[in] == "" {
			s.t.Fatalf("%s has no InvocationID: not running?", s.unit(in))
		}
	}
	return m
}

// assertUntouched fails for every instance whose InvocationID changed.
func (s *service) assertUntouched(before map[string]string) {
	s.t.Helper()
	after := s.invocations()
	for in, id := range before {
		if after[in] != id {
			s.t.Errorf("instance %s: InvocationID %s -> %s: it was restarted", in, id, after[in])
		}
	}
}

func (s *service) tryStatus() (schema.Status, error) {
	s.t.Helper()
	return e2etest.TryStatus(s.t, s.name)
}

func (s *service) status() schema.Status {
	s.t.Helper()
	return e2etest.Status(s.t, s.name)
}

// assertAllOn checks status: every instance on version, healthy, no
// rollout left interrupted.
func (s *service) assertAllOn(version string) {
	s.t.Helper()
	st := s.status()
	n := len(s.instances())
	if st.Releases[version] != n || st.Mixed || st.Healthy != n || st.Interrupted != nil {
		s.t.Errorf("status: want all %d instances on %s and healthy, got releases %v, %d healthy, mixed %v, interrupted %v",
			n, version, st.Releases, st.Healthy, st.Mixed, st.Interrupted != nil)
	}
}

// lastRecord is the newest rollout record.
func (s *service) lastRecord() release.Record {
	s.t.Helper()
	return e2etest.LastRecord(s.t, s.name)
}

// stamp parses a timestamp of `systemctl show --timestamp=us+utc`
// ("Sat 2026-11-25 17:18:00.123456 UTC").
func stamp(v string) (time.Time, error) {
	return time.Parse("Mon 2006-01-02 15:04:05.000000 MST", v)
}

// get fetches url from the host with a fresh connection and returns the
// status and the whole body.
func get(url string, timeout time.Duration) (int, string, error) {
	c := http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}
