//go:build integration

package apps

import (
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// needs skips the test unless the host has the runtime (the container sees
// the host's /usr).
func needs(t *testing.T, bins ...string) {
	t.Helper()
	for _, b := range bins {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("%s is not installed on this host (scripts/deps.sh installs it)", b)
		}
	}
}

// releaseDir writes a release directory /srv/NAME/VERSION inside the container
// from the files of testdata/APP and a VERSION file, and returns its path
// for --artifact.
func releaseDir(t *testing.T, name, app, version string) string {
	t.Helper()
	dir := path.Join("/srv", name, version)
	entries, err := os.ReadDir(filepath.Join("testdata", app))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join("testdata", app, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		e2etest.WriteFile(t, path.Join(dir, e.Name()), string(data), 0o644)
	}
	e2etest.WriteFile(t, path.Join(dir, "VERSION"), version+"\n", 0o644)
	return dir
}

// serviceFile copies testdata/FILE into the container and returns its path.
func serviceFile(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	p := path.Join("/srv", file)
	e2etest.WriteFile(t, p, string(data), 0o644)
	return p
}

// install applies the service file with release v1 and uninstalls the
// service (--purge) when the test ends.
func install(t *testing.T, name, file, artifact string) {
	t.Helper()
	t.Cleanup(func() {
		if r := e2etest.Sysroll(t, "uninstall", name, "--purge"); r.Code != 0 {
			t.Logf("uninstall %s: %s", name, r)
		}
	})
	e2etest.MustSysroll(t, "apply", file, "--artifact", artifact, "--version", "v1")
}

// journal is a unit's journal inside the container, for failure messages.
func journal(t *testing.T, unit string) string {
	t.Helper()
	return e2etest.Run(t, "journalctl", "--no-pager", "-o", "cat", "-n", "40", "-u", unit).Stdout
}

func ports(first, n int) []int {
	ps := make([]int, n)
	for i := range ps {
		ps[i] = first + i
	}
	return ps
}
