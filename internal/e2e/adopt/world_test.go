//go:build integration

package adopt

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// oldWorld is the guide's setup as a user has it: the guide's three unit
// files (internal/adopt/testdata) with the binary path and ports made real,
// my-binary being the hello example, both instances started.
type oldWorld struct {
	t     *testing.T
	name  string
	ports [2]int
	dir   string // /srv/NAME: the binary and the test's files
}

const unitDir = "/etc/systemd/system"

// newOldWorld installs and starts the guide's units; with enable, the two
// instance units get an [Install] section and are enabled, as a user who
// wanted them at boot would have done.
func newOldWorld(t *testing.T, name string, p1, p2 int, enable bool) *oldWorld {
	t.Helper()
	w := &oldWorld{t: t, name: name, ports: [2]int{p1, p2}, dir: "/srv/" + name}
	if r := e2etest.Run(t, "install", "-D", "-m", "0755", e2etest.BinDir+"/hello", w.binary()); r.Code != 0 {
		t.Fatalf("install my-binary: %s", r)
	}
	for _, f := range []string{"my-service-1.service", "my-service-2.service", "my-service-group.service"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "adopt", "testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		s := strings.NewReplacer("/path/to/my-binary", w.binary(), "8081", strconv.Itoa(p1), "8082", strconv.Itoa(p2), "my-service", name).Replace(string(b))
		if enable && !strings.Contains(f, "group") {
			s += "\n[Install]\nWantedBy=multi-user.target\n"
		}
		e2etest.WriteFile(t, filepath.Join(unitDir, strings.Replace(f, "my-service", name, 1)), s, 0o644)
	}
	w.systemctl("daemon-reload")
	if enable {
		w.systemctl("enable", w.unit(1), w.unit(2))
	}
	w.systemctl("start", w.unit(1), w.unit(2))
	w.waitServing(p1, p2)
	t.Cleanup(func() {
		e2etest.Sysroll(t, "uninstall", name, "--purge")
		e2etest.Run(t, "systemctl", "disable", "--now", w.unit(1), w.unit(2))
		e2etest.Run(t, "rm", "-f", filepath.Join(unitDir, w.unit(1)), filepath.Join(unitDir, w.unit(2)), filepath.Join(unitDir, name+"-group.service"))
		e2etest.Run(t, "systemctl", "daemon-reload")
	})
	return w
}

func (w *oldWorld) binary() string { return w.dir + "/my-binary" }

// unit is the guide's unit of instance i (1 or 2).
func (w *oldWorld) unit(i int) string { return fmt.Sprintf("%s-%d.service", w.name, i) }

func (w *oldWorld) units() []string {
	return []string{w.unit(1), w.unit(2), w.name + "-group.service"}
}

func (w *oldWorld) systemctl(args ...string) string {
	w.t.Helper()
	r := e2etest.Run(w.t, append([]string{"systemctl"}, args...)...)
	if r.Code != 0 {
		w.t.Fatalf("systemctl %s: %s", strings.Join(args, " "), r)
	}
	return r.Stdout
}

// waitServing waits until every port answers /healthz.
func (w *oldWorld) waitServing(ports ...int) {
	w.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, p := range ports {
		for {
			if _, err := e2etest.VersionOf(p); err == nil {
				break
			}
			if time.Now().After(deadline) {
				w.t.Fatalf("port %d does not serve", p)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// serviceFile is the proposal written by `adopt --dry-run --output`, with
// the health check swapped for hello's /healthz and short timings, and
// extra appended (e.g. a rollout.haproxy line).
func (w *oldWorld) serviceFile(extra string) string {
	w.t.Helper()
	out := w.dir + "/proposal.yaml"
	e2etest.Run(w.t, "rm", "-f", out)
	if r := e2etest.Sysroll(w.t, append(append([]string{"adopt"}, w.units()...), "--dry-run", "--output", out)...); r.Code != 0 {
		w.t.Fatalf("adopt --dry-run: %s", r)
	}
	r := e2etest.Run(w.t, "cat", out)
	if r.Code != 0 {
		w.t.Fatalf("cat %s: %s", out, r)
	}
	s := r.Stdout
	i := strings.Index(s, "health:\n")
	if i < 0 {
		w.t.Fatalf("no health: in the proposal:\n%s", s)
	}
	j := strings.Index(s[i:], "\n# behind HAProxy")
	s = s[:i] + "health:\n  http: {url: \"http://127.0.0.1:{port}/healthz\"}\n  interval: 200ms\n  timeout: 200ms\n  healthy_for: 1s\n  deadline: 10s\n" + s[i+j+1:] + extra
	file := w.dir + "/service.yaml"
	e2etest.WriteFile(w.t, file, s, 0o644)
	return file
}

// snapshot is what --dry-run must not change: the unit dir's files and
// links, the old units' state and PIDs, sysroll's state dir.
func (w *oldWorld) snapshot() string {
	w.t.Helper()
	r := e2etest.Run(w.t, "sh", "-c", fmt.Sprintf(`cd %s && find . -type f -o -type l | sort | xargs -r sha256sum 2>/dev/null; find . -type l -printf '%%p -> %%l\n' | sort
systemctl show -p MainPID -p ActiveState -p UnitFileState -p InvocationID %s %s
ls -la /var/lib/sysroll/%s 2>&1; systemctl list-units --all --no-legend '%s@*'`, unitDir, w.unit(1), w.unit(2), w.name, w.name))
	return r.Stdout + r.Stderr
}

// assertOldBack checks instance i's old unit is loaded from its file,
// active and serving.
func (w *oldWorld) assertOldBack(i int) {
	w.t.Helper()
	if r := e2etest.Run(w.t, "test", "-f", filepath.Join(unitDir, w.unit(i))); r.Code != 0 {
		w.t.Errorf("%s was not put back in %s", w.unit(i), unitDir)
	}
	if st := strings.TrimSpace(w.systemctl("show", "-p", "ActiveState", "--value", w.unit(i))); st != "active" {
		w.t.Errorf("%s is %s, want active", w.unit(i), st)
	}
	w.waitServing(w.ports[i-1])
}

// enabledState is systemctl is-enabled of instance i's old unit.
func (w *oldWorld) enabledState(i int) string {
	w.t.Helper()
	return strings.TrimSpace(e2etest.Run(w.t, "systemctl", "is-enabled", w.unit(i)).Stdout)
}
