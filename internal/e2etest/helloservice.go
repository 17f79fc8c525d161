package e2etest

import (
	"fmt"
	"path"
	"strings"
	"testing"
	"time"
)

// HelloService is a hello service of three instances on ports first,
// first+1 and first+2, installed at v1 in the shared testbed, with the
// rollout: block of HelloYAML replaced by rollout (its keys, indented two
// spaces). The e2e tests of rollout.steps and of approval gates use it.
type HelloService struct {
	T     *testing.T
	Name  string
	Ports []int
}

// NewHelloService installs the service and waits until it serves v1.
func NewHelloService(t *testing.T, name string, first int, rollout string) *HelloService {
	t.Helper()
	s := &HelloService{T: t, Name: name, Ports: []int{first, first + 1, first + 2}}
	yaml := strings.Replace(HelloYAML(name, s.Ports, time.Second, ""), "rollout:\n  batch: 1\n", "rollout:\n"+rollout, 1)
	InstallService(t, name, "/etc/sysroll-e2e/"+name+".yaml", yaml, s.Release("v1"), "v1")
	WaitVersion(t, name, s.Ports, "v1", 15*time.Second)
	return s
}

// Release writes release version of hello (with its flags) and returns its
// directory, for --artifact.
func (s *HelloService) Release(version string, flags ...string) string {
	s.T.Helper()
	return HelloRelease(s.T, path.Join("/srv/e2e", s.Name, version), version, flags...)
}

// Units are the instances' units, in port order.
func (s *HelloService) Units() []string {
	var out []string
	for _, p := range s.Ports {
		out = append(out, fmt.Sprintf("%s@%d.service", s.Name, p))
	}
	return out
}

// Versions is what each instance answers now, comma-separated ("" for one
// that does not answer): "v2,v1,v1".
func (s *HelloService) Versions() string {
	var out []string
	for _, p := range s.Ports {
		v, _ := VersionOf(p)
		out = append(out, v)
	}
	return strings.Join(out, ",")
}
