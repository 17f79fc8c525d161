//go:build integration

package apps

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
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
	text := string(data)
	if strings.Contains(text, "/usr/bin/node ") {
		// The working Node.js binary (needsNode says why there may be two).
		text = strings.ReplaceAll(text, "/usr/bin/node ", needsNode(t)+" ")
	}
	p := path.Join("/srv", file)
	e2etest.WriteFile(t, p, text, 0o644)
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

// blocked installs a service the default sandbox stops and deploys it
// (every instance down: the deploy goes ahead, see the README): the failed
// instance's event carries the hint, and the text output prints it.
func blocked(t *testing.T, name, file, dir, key, fix string, lines ...string) {
	t.Helper()
	f := serviceFile(t, file)
	t.Cleanup(func() { e2etest.Sysroll(t, "uninstall", name, "--purge") })
	// apply waits for the instances it started: they cannot run, and its
	// failure names the key too.
	r := e2etest.Sysroll(t, "apply", f, "--artifact", releaseDir(t, name, dir, "v1"), "--version", "v1")
	if r.Code != 1 || !strings.Contains(r.Stdout+r.Stderr, "hint: ") || !strings.Contains(r.Stdout+r.Stderr, fix) {
		t.Errorf("apply under the default sandbox: want exit 1 naming %q, got %s", fix, r)
	}
	r = e2etest.Sysroll(t, "deploy", name, "--json", "--artifact", releaseDir(t, name, dir, "v2"), "--version", "v2")
	if r.Code != 1 {
		t.Fatalf("deploy under the default sandbox: want exit 1, got %s", r)
	}
	line := "" // the proving line, one of lines (they differ by runtime version)
	for _, e := range e2etest.ParseEvents(t, r.Stdout) {
		for _, h := range e.Hints {
			if e.Type == "instance-failed" && h.Key == key && h.Fix == fix && slices.Contains(lines, h.Line) {
				line = h.Line
			}
		}
	}
	if line == "" {
		t.Fatalf("no instance-failed event with the hint %q (%q); journal:\n%s\n%s", fix, lines, journal(t, name+"@*"), r)
	}
	r = e2etest.Sysroll(t, "deploy", name, "--artifact", releaseDir(t, name, dir, "v3"), "--version", "v3")
	if r.Code != 1 || !strings.Contains(r.Stdout, "hint: ") || !strings.Contains(r.Stdout, fix) || !strings.Contains(r.Stdout, fmt.Sprintf("(journal: %q)", line)) {
		t.Errorf("text output of the failed deploy lacks %q with the line:\n%s", fix, r)
	}
	t.Logf("the failed deploy's text output:\n%s", r.Stdout)
}
