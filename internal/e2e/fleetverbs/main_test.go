//go:build integration

package fleetverbs

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// The package's allocation (see planFleet in internal/e2etest/fleetplan.go);
// its instances listen on 25500-25599.
const (
	prefix = "fverb"
	subnet = 16
)

func TestMain(m *testing.M) {
	e2etest.FleetMain(m, prefix, 3, e2etest.FleetOptions{Subnet: subnet})
}

// service is a hello service applied on every host at v1, and the
// controller's file of it with the fleet, one host per batch. (The same
// setup as fleetctl's newService, kept to what these tests use.)
type service struct {
	t     *testing.T
	f     *e2etest.Fleet
	name  string
	ports []int
	local string // the controller's scratch directory
	state string // its --state-dir
}

func newService(t *testing.T, name string, ports ...int) *service {
	t.Helper()
	return newServiceWith(t, name, e2etest.HelloYAML(name, ports, time.Second, ""), ports...)
}

// newServiceWith is newService with the hosts' service file yaml.
func newServiceWith(t *testing.T, name, yaml string, ports ...int) *service {
	t.Helper()
	f := e2etest.SharedFleet(t)
	s := &service{t: t, f: f, name: name, ports: ports, local: t.TempDir()}
	s.state = filepath.Join(s.local, "state")
	var hosts strings.Builder
	for _, h := range f.Hosts() {
		fmt.Fprintf(&hosts, "  - {name: %s, address: %s}\n", h.Name(), h.Addr())
		dir := "/srv/fverb/" + name
		s.writeRelease(h, dir+"/v1", "v1")
		if err := h.Container().WriteFile(dir+"/service.yaml", []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		h.MustExec(t, e2etest.BinDir+"/sysroll", "apply", dir+"/service.yaml", "--artifact", dir+"/v1", "--version", "v1")
		h.UninstallAtEnd(t, name)
	}
	ctl := yaml + "hosts:\n" + hosts.String() + "fleet:\n  hosts: {batch: 1}\n"
	if err := os.WriteFile(s.file(), []byte(ctl), 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *service) file() string { return filepath.Join(s.local, "service.yaml") }

// writeRelease writes release version's hello into dir on h.
func (s *service) writeRelease(h *e2etest.Host, dir, version string) {
	s.t.Helper()
	if err := h.Container().WriteFile(dir+"/hello", []byte(e2etest.HelloScript(version, "")), 0o755); err != nil {
		s.t.Fatal(err)
	}
}

// release writes release version on the controller, for fleet deploy.
func (s *service) release(version string) string {
	return e2etest.WriteHelloRelease(s.t, s.local, version, "")
}

// result is one controller run.
type result = e2etest.ControllerRun

// controller runs the built sysroll on the machine: args, then the
// fleet's ssh_config (or sshConfig) and the service's state directory.
func (s *service) controller(sshConfig string, args ...string) result {
	s.t.Helper()
	if sshConfig == "" {
		sshConfig = s.f.SSHConfigPath()
	}
	return s.f.RunController(s.t, append(args, "--ssh-config", sshConfig, "--state-dir", s.state)...)
}

// instances is, per instance of h, "release:health" and its unit's
// InvocationID (new at every start).
func (s *service) instances(h *e2etest.Host) (rels string, invocations []string) {
	s.t.Helper()
	var rs []string
	for _, in := range h.Status(s.t, s.name).Instances {
		rs = append(rs, in.Release+":"+in.Health)
		invocations = append(invocations, strings.TrimSpace(h.MustExec(s.t, "systemctl", "show", "-p", "InvocationID", "--value", in.Unit)))
	}
	return strings.Join(rs, " "), invocations
}

// want is instances' release answer when every instance is healthy on version.
func (s *service) want(version string) string { return e2etest.AllOn(version, len(s.ports)) }

// snapshot is every host's instances: release and InvocationIDs.
type snapshot map[string][]string

func (s *service) snapshot() (snapshot, map[string]string) {
	s.t.Helper()
	inv, rels := snapshot{}, map[string]string{}
	for _, h := range s.f.Hosts() {
		rels[h.Name()], inv[h.Name()] = s.instances(h)
	}
	return inv, rels
}

// line is one --json line of the controller.
type line = e2etest.ControllerLine

// parse is the controller's --json lines and its summary.
func parse(t *testing.T, out string) (lines []line, summary line) {
	return e2etest.ParseControllerJSON(t, out)
}

// results is the summary's "host=result" list.
func results(sum line) string {
	var out []string
	for _, h := range sum.Hosts {
		out = append(out, h.Host+"="+h.Result)
	}
	return strings.Join(out, " ")
}

// mostInFlight is the most instance batches in flight at once fleet-wide,
// from the hosts' batch-start and batch-done events.
func mostInFlight(lines []line) (most, batches int) {
	type mark struct {
		at    time.Time
		delta int
	}
	var marks []mark
	for _, l := range lines {
		switch {
		case l.Host == "" || strings.HasPrefix(l.Type, "fleet-"):
		case l.Type == "batch-start":
			marks = append(marks, mark{l.Time, +1})
			batches++
		case l.Type == "batch-done":
			marks = append(marks, mark{l.Time, -1})
		}
	}
	slices.SortStableFunc(marks, func(a, b mark) int { return a.at.Compare(b.at) })
	n := 0
	for _, m := range marks {
		n += m.delta
		most = max(most, n)
	}
	return most, batches
}
