//go:build integration

package redteam_test

import (
	"path"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/schema"
)

// service is one hello service installed in the container for a test.
type service struct {
	t          testing.TB
	name       string
	ports      []int
	healthyFor time.Duration
	extra      string // appended to the service file (e.g. hooks:)
}

func (s *service) yaml() string {
	return e2etest.HelloYAML(s.name, s.ports, s.healthyFor, s.extra)
}

func (s *service) file() string     { return "/etc/sysroll-e2e/" + s.name + ".yaml" }
func (s *service) stateDir() string { return "/var/lib/sysroll/" + s.name }

// newService installs n instances on ports first.. with release v1 and
// waits until each answers v1; cleanup purges it.
func newService(t testing.TB, name string, first, n int, healthyFor time.Duration, extra string) *service {
	t.Helper()
	s := &service{t: t, name: name, healthyFor: healthyFor, extra: extra}
	for i := range n {
		s.ports = append(s.ports, first+i)
	}
	e2etest.InstallService(t, name, s.file(), s.yaml(), s.release("v1"), "v1")
	s.waitVersion("v1")
	return s
}

func (s *service) release(version string) string {
	s.t.Helper()
	return e2etest.HelloRelease(s.t, path.Join("/srv/e2e", s.name, version), version)
}

// sysroll runs sysroll under timeout(1), so that a verb blocked on a FIFO
// or a lock fails the test (exit 124) instead of hanging it.
func (s *service) sysroll(args ...string) e2etest.Result {
	s.t.Helper()
	return e2etest.Run(s.t, append([]string{"timeout", "-s", "KILL", "60", e2etest.BinDir + "/sysroll"}, args...)...)
}

func (s *service) deployArgs(version string) []string {
	return []string{"deploy", s.name, "--artifact", s.release(version), "--version", version}
}

// deploy deploys version and fails the test unless it exits 0.
func (s *service) deploy(version string) {
	s.t.Helper()
	if r := s.sysroll(s.deployArgs(version)...); r.Code != 0 {
		s.t.Fatalf("deploy %s: %s", version, r)
	}
	s.waitVersion(version)
}

// sh runs a shell command in the container and fails the test unless it
// exits 0.
func (s *service) sh(script string) string {
	s.t.Helper()
	r := e2etest.Run(s.t, "sh", "-c", script)
	if r.Code != 0 {
		s.t.Fatalf("%s: %s", script, r)
	}
	return r.Stdout
}

func (s *service) waitVersion(version string) {
	s.t.Helper()
	e2etest.WaitVersion(s.t, s.name, s.ports, version, 20*time.Second)
}

// sane fails the test if r is not an outcome sysroll may give: exit 0, 1
// or 2 (and 3, a paused rollout), never killed by timeout(1), never a Go
// runtime error or an internal error.
func sane(t testing.TB, what string, r e2etest.Result) {
	t.Helper()
	switch {
	case r.Code == 137 || r.Code == 124 || r.Signal != 0:
		t.Errorf("%s: blocked (killed after 60 s): %s", what, r)
	case r.Code > 3:
		t.Errorf("%s: exit %d: %s", what, r.Code, r)
	case strings.Contains(r.Stderr, "goroutine ") || strings.Contains(r.Stderr, "internal error") || strings.Contains(r.Stderr, "panic"):
		t.Errorf("%s: a crash: %s", what, r)
	}
}

func (s *service) deployInBackground(version string) *e2etest.Background {
	s.t.Helper()
	return e2etest.StartSysroll(s.t, append(s.deployArgs(version), "--json")...)
}

// phaseOf matches the event of instance entering phase.
func phaseOf(instance, phase string) func(schema.Event) bool {
	return func(e schema.Event) bool {
		return e.Instance == instance && e.Type == "phase" && e.Phase == phase
	}
}
