//go:build integration

package rollout_test

import (
	"fmt"
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

// svcOpts are the knobs a test turns in its service file. Zero values take
// short defaults that keep the suite fast.
type svcOpts struct {
	healthyFor   time.Duration // default 1s
	interval     time.Duration // default 200ms (also the probe timeout)
	deadline     time.Duration // default 10s
	restartDelay time.Duration // default 1s
	// rollout holds extra lines for the rollout: section, e.g.
	// "failure_action: rollback-all".
	rollout []string
	// extra holds extra top-level lines, e.g. "hooks: {pre_stop: ...}".
	extra []string
}

func (o svcOpts) withDefaults() svcOpts {
	if o.healthyFor == 0 {
		o.healthyFor = time.Second
	}
	if o.interval == 0 {
		o.interval = 200 * time.Millisecond
	}
	if o.deadline == 0 {
		o.deadline = 10 * time.Second
	}
	if o.restartDelay == 0 {
		o.restartDelay = time.Second
	}
	return o
}

// service is one sysroll service installed in the container for a test.
type service struct {
	t     testing.TB
	name  string
	ports []int
	opts  svcOpts
}

// yaml is the service file: n hello instances on consecutive ports.
func (s *service) yaml() string {
	o := s.opts
	var ports []string
	for _, p := range s.ports {
		ports = append(ports, strconv.Itoa(p))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\n", s.name)
	fmt.Fprintf(&b, "command: \"{release}/hello --port {port}\"\n")
	fmt.Fprintf(&b, "instances: [%s]\n", strings.Join(ports, ", "))
	fmt.Fprintf(&b, "restart_sec: %s\n", o.restartDelay)
	fmt.Fprintf(&b, "stop_timeout: 10s\n")
	fmt.Fprintf(&b, "health:\n")
	fmt.Fprintf(&b, "  http: {url: \"http://127.0.0.1:{port}/healthz\"}\n")
	fmt.Fprintf(&b, "  interval: %s\n  timeout: %s\n", o.interval, o.interval)
	fmt.Fprintf(&b, "  healthy_for: %s\n  deadline: %s\n", o.healthyFor, o.deadline)
	fmt.Fprintf(&b, "rollout:\n  batch: 1\n  drain_timeout: 2s\n")
	for _, l := range o.rollout {
		fmt.Fprintf(&b, "  %s\n", l)
	}
	for _, l := range o.extra {
		fmt.Fprintf(&b, "%s\n", l)
	}
	return b.String()
}

// newService installs a service of n instances on ports first.. with
// release v1 and waits until every instance answers v1. Cleanup
// uninstalls it (with its releases and records), freeing the ports.
func newService(t testing.TB, name string, first, n int, o svcOpts) *service {
	t.Helper()
	s := &service{t: t, name: name, opts: o.withDefaults()}
	for i := range n {
		s.ports = append(s.ports, first+i)
	}
	e2etest.InstallService(t, name, "/etc/sysroll-e2e/"+name+".yaml", s.yaml(), s.release("v1"), "v1")
	s.waitVersion("v1", 15*time.Second)
	return s
}

// release writes a hello release directory for version (with hello's demo
// knobs as flags) and returns its path inside the container.
func (s *service) release(version string, flags ...string) string {
	s.t.Helper()
	dir := path.Join("/srv/e2e", s.name, version)
	return e2etest.HelloRelease(s.t, dir, version, flags...)
}

// sysroll runs sysroll inside the container.
func (s *service) sysroll(args ...string) e2etest.Result {
	s.t.Helper()
	return e2etest.Sysroll(s.t, args...)
}

// deploy runs `sysroll deploy NAME --artifact DIR --version V`.
func (s *service) deploy(version string, flags ...string) e2etest.Result {
	s.t.Helper()
	return s.sysroll("deploy", s.name, "--artifact", s.release(version, flags...), "--version", version)
}

func (s *service) unit(port int) string { return fmt.Sprintf("%s@%d.service", s.name, port) }

// healthz reports whether an instance's /healthz answers 200.
func healthz(port int) error {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", port))
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz on %d: %s", port, resp.Status)
	}
	return nil
}

// waitVersion waits until every instance answers version and is healthy.
func (s *service) waitVersion(version string, within time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for {
		var bad []string
		for _, p := range s.ports {
			v, err := e2etest.VersionOf(p)
			if err == nil {
				err = healthz(p)
			}
			if err != nil || v != version {
				bad = append(bad, fmt.Sprintf("%d: %q %v", p, v, err))
			}
		}
		if len(bad) == 0 {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s: not every instance on %s and healthy after %s: %s", s.name, version, within, strings.Join(bad, "; "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// assertVersions checks, once, that each port answers its expected version
// and is healthy.
func (s *service) assertVersions(want map[int]string) {
	s.t.Helper()
	for _, p := range s.ports {
		v, err := e2etest.VersionOf(p)
		if err == nil {
			err = healthz(p)
		}
		if err != nil || v != want[p] {
			s.t.Errorf("instance %d: version %q (err %v), want %q and healthy", p, v, err, want[p])
		}
	}
}

func (s *service) allOn(version string) map[int]string {
	m := map[int]string{}
	for _, p := range s.ports {
		m[p] = version
	}
	return m
}

// unitProps reads properties of every instance unit with one systemctl call.
func (s *service) unitProps(props ...string) map[int]map[string]string {
	s.t.Helper()
	units := make([]string, 0, len(s.ports))
	for _, p := range s.ports {
		units = append(units, s.unit(p))
	}
	byUnit := e2etest.UnitProps(s.t, units, props...)
	out := map[int]map[string]string{}
	for _, p := range s.ports {
		if kv, ok := byUnit[s.unit(p)]; ok {
			out[p] = kv
		}
	}
	return out
}

// invocations returns each instance unit's InvocationID.
func (s *service) invocations() map[int]string {
	s.t.Helper()
	m := map[int]string{}
	for p, kv := range s.unitProps("InvocationID") {
		m[p] = kv["InvocationID"]
	}
	return m
}

// assertAllRunning checks every instance unit is active/running.
func (s *service) assertAllRunning() {
	s.t.Helper()
	for p, kv := range s.unitProps("ActiveState", "SubState") {
		if kv["ActiveState"] != "active" || kv["SubState"] != "running" {
			s.t.Errorf("%s is %s/%s, want active/running", s.unit(p), kv["ActiveState"], kv["SubState"])
		}
	}
}

// history returns the rollout records, newest first.
func (s *service) history() []release.Record {
	s.t.Helper()
	return e2etest.History(s.t, s.name)
}

// lastRecord is the newest rollout record.
func (s *service) lastRecord() release.Record {
	s.t.Helper()
	return e2etest.LastRecord(s.t, s.name)
}

func (s *service) status() schema.Status {
	s.t.Helper()
	return e2etest.Status(s.t, s.name)
}

// instanceName is how sysroll names the instance on port p.
func instanceName(p int) string { return strconv.Itoa(p) }
