//go:build integration

package apps

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// An app that writes its state under $HOME runs with the default sandbox:
// HOME is the instance's own state directory, writable, kept across a
// deploy, and not shared with the other instances.
func TestHomeWriterRunsInTheDefaultSandbox(t *testing.T) {
	t.Parallel()
	install(t, "happ", serviceFile(t, "home.yaml"), releaseDir(t, "happ", "homeapp", "v1"))
	e2etest.WaitHealthy(t, "happ", 3, 30*time.Second)
	for _, p := range ports(24331, 3) {
		body := get(t, fmt.Sprintf("http://127.0.0.1:%d/", p))
		want := fmt.Sprintf("hello from v1 HOME=/var/lib/happ/%d started %d", p, p)
		if body != want {
			t.Errorf("instance %d: %q, want %q", p, body, want)
		}
	}
	e2etest.MustSysroll(t, "deploy", "happ", "--artifact", releaseDir(t, "happ", "homeapp", "v2"), "--version", "v2")
	for _, p := range ports(24331, 3) {
		body := get(t, fmt.Sprintf("http://127.0.0.1:%d/", p))
		// The state written by v1 is still there, v2 appended to it.
		if !strings.HasPrefix(body, "hello from v2 ") || strings.Count(body, fmt.Sprintf("started %d", p)) != 2 {
			t.Errorf("instance %d after deploy: %q, want v2 with both starts in its state", p, body)
		}
	}
}

// A service file that sets HOME empty keeps it (the service file wins), and
// the app's failure names the fix.
func TestEmptyHomeNamesTheFix(t *testing.T) {
	t.Parallel()
	blocked(t, "hempty", "hempty.yaml", "homeapp", "environment.HOME",
		"remove HOME from environment: and the environment files (sysroll sets it to the instance's state directory)", "HOME not defined")
}
