//go:build integration

package apply

import (
	"path"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// wantGone requires that nothing of service name is left in systemd or
// under the unit directory.
func wantGone(t *testing.T, name string, ports []int) {
	t.Helper()
	if got := listUnits(t, name+"*"); len(got) != 0 {
		t.Errorf("units still loaded after uninstall: %v", got)
	}
	leftover := must(t, "find", unitDir, "-name", name+"*")
	if strings.TrimSpace(leftover) != "" {
		t.Errorf("unit files or links left after uninstall:\n%s", leftover)
	}
	for _, p := range ports {
		wantRefused(t, p)
	}
	if r := e2etest.Sysroll(t, "status", name); r.Code != 2 || !strings.Contains(r.Stderr, "not installed") {
		t.Errorf("status after uninstall: %s", r)
	}
}

// TestUninstall: uninstall leaves no unit file, link or loaded unit; it keeps
// the releases (a later apply needs no --artifact) unless --purge.
func TestUninstall(t *testing.T) {
	s := service{name: "e2e-gone", ports: []int{19050, 19051}}
	s.install(t)
	dir := path.Join(stateRoot, s.name)

	r := e2etest.MustSysroll(t, "uninstall", s.name)
	if !strings.Contains(r.Stdout, "e2e-gone: uninstalled") {
		t.Errorf("uninstall says %q", r.Stdout)
	}
	wantGone(t, s.name, s.ports)
	if !exists(t, path.Join(dir, "releases", "v1")) {
		t.Errorf("uninstall without --purge removed the releases; left: %v", tree(t, dir))
	}
	for _, f := range []string{"service.yaml", "applied.json"} {
		if exists(t, path.Join(dir, f)) {
			t.Errorf("uninstall left %s", f)
		}
	}

	// It comes back on the kept release, without --artifact.
	r = s.apply(t)
	if !strings.Contains(r.Stdout, "start e2e-gone@19050.service") {
		t.Errorf("apply after uninstall:\n%s", r.Stdout)
	}
	wantRunning(t, s, "v1")
	wantServes(t, 19051, "v1")

	r = e2etest.MustSysroll(t, "uninstall", s.name, "--purge")
	if !strings.Contains(r.Stdout, "uninstalled and purged") {
		t.Errorf("uninstall --purge says %q", r.Stdout)
	}
	wantGone(t, s.name, s.ports)
	if exists(t, dir) {
		t.Errorf("uninstall --purge left %v", tree(t, dir))
	}

	// Uninstalled but kept, then purged: --purge still frees the space.
	s.apply(t, "--artifact", s.release(t, "v2"), "--version", "v2")
	wantRunning(t, s, "v2")
	e2etest.MustSysroll(t, "uninstall", s.name)
	if !exists(t, path.Join(dir, "releases", "v2")) {
		t.Fatal("uninstall removed the releases")
	}
	r = e2etest.MustSysroll(t, "uninstall", s.name, "--purge")
	if !strings.Contains(r.Stdout, "uninstalled and purged") || exists(t, dir) {
		t.Errorf("uninstall --purge of an uninstalled service: %s; left %v", r, tree(t, dir))
	}
	wantGone(t, s.name, s.ports)

	// Once gone, uninstall is bad input (exit 2), not a crash.
	if r := e2etest.Sysroll(t, "uninstall", s.name); r.Code != 2 || !strings.Contains(r.Stderr, "not installed") {
		t.Errorf("second uninstall: %s", r)
	}
}
