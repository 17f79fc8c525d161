//go:build integration

package hostside

import (
	"encoding/json"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/schema"
)

// service is a hello service installed on release v1 with one instance per
// port.
type service struct {
	t     *testing.T
	name  string
	ports []int
}

func newService(t *testing.T, name string, ports ...int) *service {
	t.Helper()
	s := &service{t: t, name: name, ports: ports}
	e2etest.InstallService(t, name, s.dir("service.yaml"), e2etest.HelloYAML(name, ports, time.Second, ""), s.release("v1"), "v1")
	e2etest.WaitHealthy(t, name, len(ports), 20*time.Second)
	return s
}

// dir is a path under the service's scratch directory in the container.
func (s *service) dir(elem ...string) string {
	return path.Join(append([]string{"/srv/hostside", s.name}, elem...)...)
}

// release writes a hello release directory for version.
func (s *service) release(version string) string {
	s.t.Helper()
	return e2etest.HelloRelease(s.t, s.dir("releases", version), version)
}

// tarball packs the release of version into a .tar.gz, as a controller
// ships a directory, and returns its path and sha256 (sha256sum's).
func (s *service) tarball(version string) (string, string) {
	s.t.Helper()
	dir := s.release(version)
	out := s.dir(version + ".tar.gz")
	if r := e2etest.Run(s.t, "tar", "-C", dir, "-czf", out, "hello"); r.Code != 0 {
		s.t.Fatalf("tar: %s", r)
	}
	r := e2etest.Run(s.t, "sha256sum", out)
	sum, _, _ := strings.Cut(r.Stdout, " ")
	if r.Code != 0 || len(sum) != 64 {
		s.t.Fatalf("sha256sum: %s", r)
	}
	return out, sum
}

func (s *service) units() []string {
	us := make([]string, len(s.ports))
	for i, p := range s.ports {
		us[i] = s.name + "@" + strconv.Itoa(p) + ".service"
	}
	return us
}

// has runs `stage NAME --has VERSION --expect-sha256 SUM --json`.
func (s *service) has(version, sum string) (schema.Has, e2etest.Result) {
	s.t.Helper()
	r := e2etest.Sysroll(s.t, "stage", s.name, "--has", version, "--expect-sha256", sum, "--json")
	var h schema.Has
	if err := json.Unmarshal([]byte(r.Stdout), &h); err != nil {
		s.t.Fatalf("stage --has: not one JSON answer (%v): %s", err, r)
	}
	return h, r
}

// bootID is the container's kernel boot ID.
func bootID(t *testing.T) string {
	t.Helper()
	r := e2etest.Run(t, "cat", "/proc/sys/kernel/random/boot_id")
	if r.Code != 0 {
		t.Fatalf("boot_id: %s", r)
	}
	return strings.TrimSpace(r.Stdout)
}
