//go:build integration

package apps

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// gunicorn per port, three instances, with the README's settings.
func TestGunicornPerPort(t *testing.T) {
	needs(t, "/usr/bin/gunicorn")
	t.Parallel()
	lifecycle(t, app{name: "gapp", file: "gunicorn.yaml", dir: "gunicorn", n: 3, check: perPort(24301, 3)})
}

// gunicorn on one shared socket (listen:, --preload): the gate is READY=1
// plus healthy_for; every answer through the socket comes from the version
// status reports.
func TestGunicornSharedSocket(t *testing.T) {
	needs(t, "/usr/bin/gunicorn")
	t.Parallel()
	lifecycle(t, app{name: "gsock", file: "gsock.yaml", dir: "gunicorn", n: 3, check: func(t *testing.T, version string) {
		t.Helper()
		for i := range 12 {
			v, err := e2etest.VersionOf(24310)
			if err != nil || v != version {
				t.Fatalf("request %d through the shared socket: %q %v, want %s", i, v, err, version)
			}
		}
	}})
}

// gunicorn with the default sandbox: every worker's setuid is refused, and
// the failure names the key that allows it, with the journal line.
func TestGunicornBlockedNamesTheKey(t *testing.T) {
	needs(t, "/usr/bin/gunicorn")
	t.Parallel()
	blocked(t, "gblock", "gblock.yaml", "gunicorn", "hardening.system_call_allow", "set hardening.system_call_allow: [setuid]", "PermissionError: [Errno 1] Operation not permitted")
}

// blocked installs a service the default sandbox stops and deploys it
// (every instance down: the deploy goes ahead, see the README): the failed
// instance's event carries the hint, and the text output prints it.
func blocked(t *testing.T, name, file, dir, key, fix, line string) {
	t.Helper()
	f := serviceFile(t, file)
	t.Cleanup(func() { e2etest.Sysroll(t, "uninstall", name, "--purge") })
	// apply starts the instances and may or may not wait for them; either
	// way they cannot run.
	e2etest.Sysroll(t, "apply", f, "--artifact", releaseDir(t, name, dir, "v1"), "--version", "v1")
	time.Sleep(time.Second)
	r := e2etest.Sysroll(t, "deploy", name, "--json", "--artifact", releaseDir(t, name, dir, "v2"), "--version", "v2")
	if r.Code != 1 {
		t.Fatalf("deploy under the default sandbox: want exit 1, got %s", r)
	}
	found := false
	for _, e := range e2etest.ParseEvents(t, r.Stdout) {
		for _, h := range e.Hints {
			if e.Type == "instance-failed" && h.Key == key && h.Fix == fix && h.Line == line {
				found = true
			}
		}
	}
	if !found {
		t.Fatalf("no instance-failed event with the hint %q (%s); journal:\n%s\n%s", fix, line, journal(t, name+"@*"), r)
	}
	r = e2etest.Sysroll(t, "deploy", name, "--artifact", releaseDir(t, name, dir, "v3"), "--version", "v3")
	if r.Code != 1 || !strings.Contains(r.Stdout, "hint: ") || !strings.Contains(r.Stdout, fix) || !strings.Contains(r.Stdout, fmt.Sprintf("(journal: %q)", line)) {
		t.Errorf("text output of the failed deploy lacks %q with the line:\n%s", fix, r)
	}
	t.Logf("the failed deploy's text output:\n%s", r.Stdout)
}
