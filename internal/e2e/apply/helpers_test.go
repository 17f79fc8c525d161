//go:build integration

package apply

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/schema"
)

// Where things live inside the container.
const (
	unitDir   = "/etc/systemd/system"
	stateRoot = "/var/lib/sysroll"
	workRoot  = "/srv/e2e-apply" // service files and releases the tests write
)

// service is one service file the tests write and apply.
type service struct {
	name  string
	ports []int
	// extra YAML appended to the file (top-level keys).
	extra string
	// probe is the health URL ("" is each instance's own /healthz; with
	// listen: the shared socket's, since no instance has a port of its own).
	probe string
}

// yaml renders the service file: the hello example on the ports, with an
// HTTP health check on /healthz.
func (s service) yaml() string {
	ports := make([]string, len(s.ports))
	for i, p := range s.ports {
		ports[i] = strconv.Itoa(p)
	}
	probe := s.probe
	if probe == "" {
		probe = "http://127.0.0.1:{port}/healthz"
	}
	return fmt.Sprintf(`name: %s
description: e2e %s
command: "{release}/hello --port {port}"
instances: [%s]
health:
  http: {url: "%s", status: 200, body: ok}
  interval: 200ms
  timeout: 200ms
  healthy_for: 1s
  deadline: 30s
%s`, s.name, s.name, strings.Join(ports, ", "), probe, s.extra)
}

// write writes the service file inside the container and returns its path.
func (s service) write(t testing.TB) string {
	t.Helper()
	p := path.Join(workRoot, s.name, "service.yaml")
	e2etest.WriteFile(t, p, s.yaml(), 0o644)
	return p
}

func (s service) units() []string {
	u := make([]string, len(s.ports))
	for i, p := range s.ports {
		u[i] = instanceUnit(s.name, p)
	}
	return u
}

func instanceUnit(name string, port int) string { return fmt.Sprintf("%s@%d.service", name, port) }

// release writes a hello release dir for s at version and returns it.
func (s service) release(t testing.TB, version string) string {
	t.Helper()
	return e2etest.HelloRelease(t, path.Join(workRoot, s.name, "release-"+version), version)
}

// install applies s for the first time on release v1 and uninstalls it
// (with --purge) when the test ends.
func (s service) install(t testing.TB) e2etest.Result {
	t.Helper()
	file := s.write(t)
	rel := s.release(t, "v1")
	t.Cleanup(func() { s.uninstall(t) })
	return e2etest.MustSysroll(t, "apply", file, "--artifact", rel, "--version", "v1")
}

// uninstall removes s and its state; a service already gone is fine.
func (s service) uninstall(t testing.TB) {
	t.Helper()
	r := e2etest.Sysroll(t, "uninstall", s.name, "--purge")
	if r.Code != 0 && !strings.Contains(r.Stderr, "not installed") {
		t.Errorf("cleanup: sysroll uninstall %s --purge: %s", s.name, r)
	}
	// The state dir may survive an uninstall that refused (not installed).
	e2etest.Run(t, "rm", "-rf", path.Join(stateRoot, s.name), path.Join(workRoot, s.name))
}

// apply applies s (rewriting its file) and requires exit 0.
func (s service) apply(t testing.TB, args ...string) e2etest.Result {
	t.Helper()
	return e2etest.MustSysroll(t, append([]string{"apply", s.write(t)}, args...)...)
}

// must runs argv inside the container and fails the test unless it exits 0.
func must(t testing.TB, argv ...string) string {
	t.Helper()
	r := e2etest.Run(t, argv...)
	if r.Code != 0 {
		t.Fatalf("%s: %s", strings.Join(argv, " "), r)
	}
	return r.Stdout
}

// show returns systemd properties of unit ("" for the manager itself).
func show(t testing.TB, unit string, props ...string) map[string]string {
	t.Helper()
	argv := []string{"systemctl", "show"}
	for _, p := range props {
		argv = append(argv, "-p", p)
	}
	if unit != "" {
		argv = append(argv, "--", unit)
	}
	out := must(t, argv...)
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	return m
}

// invocations returns the InvocationID of every unit; a unit that is not
// running has "".
func invocations(t testing.TB, units ...string) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for _, u := range units {
		ids[u] = show(t, u, "InvocationID")["InvocationID"]
	}
	return ids
}

// reloadProbe is a unit loaded once and kept active: its file is rewritten
// before a command, so systemd flags it NeedDaemonReload=yes until the next
// daemon-reload. If the flag is still set afterwards, the command did no
// daemon-reload (systemd 252 exposes no reload counter or timestamp).
const reloadProbe = "e2e-reload-probe.service"

var reloadProbeSerial int

// armReloadProbe rewrites the probe unit's file; see reloadProbe.
func armReloadProbe(t testing.TB) {
	t.Helper()
	reloadProbeSerial++
	e2etest.WriteFile(t, path.Join(unitDir, reloadProbe), fmt.Sprintf(
		"[Unit]\nDescription=e2e reload probe %d\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n", reloadProbeSerial), 0o644)
	// Loads it (first time only) and keeps it loaded while active.
	must(t, "systemctl", "start", reloadProbe)
	if got := show(t, reloadProbe, "NeedDaemonReload")["NeedDaemonReload"]; reloadProbeSerial > 1 && got != "yes" {
		t.Fatalf("reload probe: NeedDaemonReload=%s after its file changed, want yes", got)
	}
	if reloadProbeSerial == 1 {
		// The first write loaded it fresh: change it once more to arm it.
		armReloadProbe(t)
	}
}

// reloaded reports whether systemd reloaded since armReloadProbe.
func reloaded(t testing.TB) bool {
	t.Helper()
	return show(t, reloadProbe, "NeedDaemonReload")["NeedDaemonReload"] == "no"
}

// listUnits returns the units matching pattern that the manager has loaded
// in any state.
func listUnits(t testing.TB, pattern string) []string {
	t.Helper()
	out := must(t, "systemctl", "list-units", "--all", "--plain", "--no-legend", "--", pattern)
	var units []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			units = append(units, f[0])
		}
	}
	return units
}

// stamps returns "mtime size" of each path, "absent" for a missing one.
func stamps(t testing.TB, paths ...string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, p := range paths {
		r := e2etest.Run(t, "stat", "-c", "%.9Y %s %i", p)
		m[p] = strings.TrimSpace(r.Stdout)
		if r.Code != 0 {
			m[p] = "absent"
		}
	}
	return m
}

// exists reports whether path exists inside the container.
func exists(t testing.TB, p string) bool {
	t.Helper()
	return e2etest.Run(t, "test", "-e", p).Code == 0
}

// tree lists every path under dirs inside the container (sorted), to show
// that a command wrote nothing.
func tree(t testing.TB, dirs ...string) []string {
	t.Helper()
	var all []string
	for _, d := range dirs {
		r := e2etest.Run(t, "find", d)
		all = append(all, strings.Fields(r.Stdout)...)
	}
	slices.Sort(all)
	return all
}

// get fetches http://127.0.0.1:port/ from the host: the container shares
// the host's network.
func get(port int) (string, error) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("GET :%d: %s", port, resp.Status)
	}
	return string(b), nil
}

// wantServes requires that port answers as version.
func wantServes(t testing.TB, port int, version string) {
	t.Helper()
	body, err := get(port)
	if err != nil {
		t.Fatalf("instance %d does not serve: %v", port, err)
	}
	if want := "hello from " + version + " "; !strings.HasPrefix(body, want) {
		t.Errorf("GET :%d = %q, want it to start with %q", port, body, want)
	}
}

// wantRefused requires that nothing listens on port any more.
func wantRefused(t testing.TB, port int) {
	t.Helper()
	if body, err := get(port); err == nil {
		t.Errorf("port %d still serves %q after its instance was removed", port, body)
	}
}

// status is `sysroll status NAME --json`, which exits 0 when every instance
// is healthy and 1 otherwise (both with the status).
func status(t testing.TB, name string, args ...string) schema.Status {
	t.Helper()
	r := e2etest.Sysroll(t, append([]string{"status", name, "--json"}, args...)...)
	if r.Code != 0 && r.Code != 1 {
		t.Fatalf("sysroll status %s --json: %s", name, r)
	}
	var st schema.Status
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
		t.Fatalf("status --json does not parse: %v\n%s", err, r.Stdout)
	}
	return st
}

// wantRunning requires every instance of s to be active, healthy and on
// version, per `sysroll status --json`.
func wantRunning(t testing.TB, s service, version string) schema.Status {
	t.Helper()
	st := status(t, s.name)
	if len(st.Instances) != len(s.ports) {
		t.Fatalf("status lists %d instances, want %d: %+v", len(st.Instances), len(s.ports), st.Instances)
	}
	for i, in := range st.Instances {
		if in.Instance != strconv.Itoa(s.ports[i]) || in.Unit != instanceUnit(s.name, s.ports[i]) {
			t.Errorf("status row %d is %s (%s), want %d", i, in.Instance, in.Unit, s.ports[i])
		}
		if in.ActiveState != "active" || in.SubState != "running" || in.Health != "healthy" || in.Release != version || in.PID == 0 {
			t.Errorf("%s: %s/%s pid %d health %q release %q, want active/running, a pid, healthy, %s", in.Unit, in.ActiveState, in.SubState, in.PID, in.Health, in.Release, version)
		}
	}
	if st.Running != len(s.ports) || st.Healthy != len(s.ports) {
		t.Errorf("status summary: %d running, %d healthy; want %d", st.Running, st.Healthy, len(s.ports))
	}
	return st
}
