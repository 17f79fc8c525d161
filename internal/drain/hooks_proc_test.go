package drain

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/proc/proctest"
)

// TestHooksKillTheirChildren: no process a hook started outlives it, when
// it runs out of time and when it succeeds.
func TestHooksKillTheirChildren(t *testing.T) {
	tests := []struct {
		name    string
		cmd     func(dir string) string
		timeout time.Duration
		wantErr bool
	}{
		{"timed out", func(dir string) string { return proctest.Background(dir) + "sleep 120" }, 200 * time.Millisecond, true},
		{"succeeded, child in the background", func(dir string) string {
			return "sleep 120 >/dev/null 2>&1 & echo $! > " + dir + "/child.pid"
		}, time.Minute, false},
		{"failed, child holding the output", func(dir string) string { return proctest.Background(dir) + "exit 4" }, time.Minute, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			h := testHooks(tt.cmd(dir), "")
			h.Timeout = tt.timeout
			err := h.Drain(t.Context(), "1")
			if (err != nil) != tt.wantErr {
				t.Errorf("err = %v, want an error: %v", err, tt.wantErr)
			}
			proctest.WantGone(t, proctest.ChildPID(t, dir))
		})
	}
}

// TestHooksHostileEnvironment: a hook runs as root; the directory sysroll
// was started from and relative PATH entries must not choose what it runs.
func TestHooksHostileEnvironment(t *testing.T) {
	cwd, out := t.TempDir(), t.TempDir()
	marker := filepath.Join(out, "planted-ran")
	planted := filepath.Join(cwd, "sysroll-test-planted")
	if err := os.WriteFile(planted, []byte("#!/bin/sh\ntouch "+marker+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(cwd)
	t.Setenv("PATH", ".::"+os.Getenv("PATH"))

	h := testHooks("pwd > "+out+"/pwd; sysroll-test-planted", "")
	err := h.Drain(t.Context(), "1")
	if _, serr := os.Stat(marker); serr == nil {
		t.Error("the hook ran ./sysroll-test-planted from sysroll's working directory")
	}
	if err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("err = %v, want the planted command not found", err)
	}
	if b, _ := os.ReadFile(out + "/pwd"); string(b) != "/\n" {
		t.Errorf("hook ran in %q, want /", b)
	}
}
