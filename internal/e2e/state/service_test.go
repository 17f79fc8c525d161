//go:build integration

package state_test

import (
	"path"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// service is one hello service installed in the container for a test.
type service struct {
	t     testing.TB
	name  string
	ports []int
}

func (s *service) yaml() string {
	return e2etest.HelloYAML(s.name, s.ports, 500*time.Millisecond, "")
}

func (s *service) file() string     { return "/etc/sysroll-e2e/" + s.name + ".yaml" }
func (s *service) stateDir() string { return "/var/lib/sysroll/" + s.name }

// newService installs n instances on ports first.. with release v1 and
// waits until each answers v1; cleanup purges it.
func newService(t testing.TB, name string, first, n int) *service {
	t.Helper()
	s := &service{t: t, name: name}
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

func (s *service) sysroll(args ...string) e2etest.Result {
	s.t.Helper()
	return e2etest.Sysroll(s.t, args...)
}

// deploy deploys version and fails the test unless it exits 0.
func (s *service) deploy(version string) {
	s.t.Helper()
	if r := s.sysroll("deploy", s.name, "--artifact", s.release(version), "--version", version); r.Code != 0 {
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

// waitVersion waits until every instance answers version.
func (s *service) waitVersion(version string) {
	s.t.Helper()
	e2etest.WaitVersion(s.t, s.name, s.ports, version, 15*time.Second)
}
