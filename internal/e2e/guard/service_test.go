//go:build integration

package guard_test

import (
	"fmt"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
)

// service is one hello service installed in the container for a test.
type service struct {
	t          testing.TB
	name       string
	ports      []int
	healthyFor time.Duration
}

// yaml is the service file for ports: hello instances gated by /healthz.
func (s *service) yaml(ports []int) string {
	return e2etest.HelloYAML(s.name, ports, s.healthyFor, "")
}

// file is the service file's path inside the container.
func (s *service) file() string { return "/etc/sysroll-e2e/" + s.name + ".yaml" }

// stateDir is the service's state directory inside the container.
func (s *service) stateDir() string { return "/var/lib/sysroll/" + s.name }

// newService installs n instances on ports first.. with release v1 and
// waits until each answers v1; cleanup purges it.
func newService(t testing.TB, name string, first, n int, healthyFor time.Duration) *service {
	t.Helper()
	s := &service{t: t, name: name, healthyFor: healthyFor}
	for i := range n {
		s.ports = append(s.ports, first+i)
	}
	e2etest.InstallService(t, name, s.file(), s.yaml(s.ports), s.release("v1"), "v1")
	s.waitVersion(s.ports, "v1", 15*time.Second)
	return s
}

// release writes a hello release directory for version and returns its
// path inside the container.
func (s *service) release(version string) string {
	s.t.Helper()
	return e2etest.HelloRelease(s.t, path.Join("/srv/e2e", s.name, version), version)
}

func (s *service) sysroll(args ...string) e2etest.Result {
	s.t.Helper()
	return e2etest.Sysroll(s.t, args...)
}

// run runs a command in the container and fails the test unless it exits 0.
func (s *service) run(argv ...string) string {
	s.t.Helper()
	r := e2etest.Run(s.t, argv...)
	if r.Code != 0 {
		s.t.Fatalf("%s: %s", strings.Join(argv, " "), r)
	}
	return r.Stdout
}

func (s *service) unit(port int) string { return fmt.Sprintf("%s@%d.service", s.name, port) }

func (s *service) units(ports []int) []string {
	var us []string
	for _, p := range ports {
		us = append(us, s.unit(p))
	}
	return us
}

// waitVersion waits until every one of ports answers version.
func (s *service) waitVersion(ports []int, version string, within time.Duration) {
	s.t.Helper()
	e2etest.WaitVersion(s.t, s.name, ports, version, within)
}

// assertOn checks, once, that each of ports answers version.
func (s *service) assertOn(ports []int, version string) {
	s.t.Helper()
	for _, p := range ports {
		if v, err := e2etest.VersionOf(p); err != nil || v != version {
			s.t.Errorf("instance %d answers %q (%v), want %s", p, v, err, version)
		}
	}
}

// invocations returns each instance unit's InvocationID ("" when not
// running): two readings tell whether systemd restarted a unit between.
func (s *service) invocations() map[string]string {
	s.t.Helper()
	return e2etest.Invocations(s.t, s.units(s.ports))
}

func (s *service) status() schema.Status {
	s.t.Helper()
	return e2etest.Status(s.t, s.name)
}

func (s *service) lastRecord() release.Record {
	s.t.Helper()
	return e2etest.LastRecord(s.t, s.name)
}

// deployInBackground starts `deploy --json` of version and returns it.
func (s *service) deployInBackground(version string) *e2etest.Background {
	s.t.Helper()
	return e2etest.StartSysroll(s.t, "deploy", s.name, "--artifact", s.release(version), "--version", version, "--json")
}

// phaseOf matches the event of instance entering phase ("done": the
// instance-done event).
func phaseOf(instance, phase string) func(schema.Event) bool {
	return func(e schema.Event) bool {
		if e.Instance != instance {
			return false
		}
		if phase == "done" {
			return e.Type == "instance-done"
		}
		return e.Type == "phase" && e.Phase == phase
	}
}

// killAt kills b with SIGKILL once match sees its event.
func killAt(t testing.TB, b *e2etest.Background, match func(schema.Event) bool) {
	t.Helper()
	b.WaitEvent(30*time.Second, match)
	b.Signal("KILL")
	if r := b.Wait(10 * time.Second); r.Code == 0 {
		t.Fatalf("sysroll exited 0 after kill -9: %s", r)
	}
}
