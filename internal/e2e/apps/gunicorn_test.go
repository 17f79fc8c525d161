//go:build integration

package apps

import (
	"testing"

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
