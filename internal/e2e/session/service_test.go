//go:build integration

package session

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// serviceFile is a hello service of one instance per port, behind the
// HAProxy of rollout (empty until HAProxy runs). healthy_for is 3s so that
// a test has time to end the session while an instance is in its gate.
const serviceFile = `name: %s
command: "{release}/hello --port {port}"
instances: [%s]
restart_sec: 1s
stop_timeout: 15s
health:
  http: {url: "http://127.0.0.1:{port}/healthz"}
  interval: 200ms
  timeout: 200ms
  healthy_for: 3s
  deadline: 15s
rollout:
  batch: 1
  drain_timeout: 30s
  %s
`

// service is a hello service of three instances on ports first..first+2
// behind a strict HAProxy on first+3.
type service struct {
	t     testing.TB
	name  string
	ports []int
	h     *e2etest.HAProxy
}

// newService installs the service on release v1, waits until every
// instance is healthy, puts HAProxy in front (rise 2, like the benchmark)
// and tells sysroll about it. Cleanup uninstalls the service and stops
// HAProxy.
func newService(t *testing.T, name string, first int) *service {
	t.Helper()
	s := &service{t: t, name: name, ports: []int{first, first + 1, first + 2}}
	e2etest.InstallService(t, name, s.file(), s.yaml(""), s.release("v1"), "v1")
	s.waitHealthy(20 * time.Second)
	s.h = e2etest.StartHAProxy(t, e2etest.HAProxyOptions{
		Backend: name, Ports: s.ports, Frontend: first + 3, Balance: "roundrobin", Rise: 2,
	})
	e2etest.WriteFile(t, s.file(), s.yaml(s.h.RolloutLine()), 0o644)
	e2etest.MustSysroll(t, "apply", s.file())
	return s
}

func (s *service) yaml(haproxy string) string {
	ports := make([]string, len(s.ports))
	for i, p := range s.ports {
		ports[i] = strconv.Itoa(p)
	}
	return fmt.Sprintf(serviceFile, s.name, strings.Join(ports, ", "), haproxy)
}

func (s *service) file() string { return path.Join("/srv/session", s.name, "service.yaml") }

// release writes a hello release for version and returns its directory.
func (s *service) release(version string) string {
	s.t.Helper()
	return e2etest.HelloRelease(s.t, path.Join("/srv/session", s.name, "releases", version), version)
}

// instance is the name of the i-th instance; server its HAProxy server.
func (s *service) instance(i int) string { return strconv.Itoa(s.ports[i]) }
func (s *service) server(i int) string   { return "s" + s.instance(i) }

func (s *service) units() []string {
	var units []string
	for i := range s.ports {
		units = append(units, fmt.Sprintf("%s@%s.service", s.name, s.instance(i)))
	}
	return units
}

// waitHealthy waits until status sees every instance running and healthy.
func (s *service) waitHealthy(within time.Duration) {
	s.t.Helper()
	e2etest.WaitHealthy(s.t, s.name, len(s.ports), within)
}
