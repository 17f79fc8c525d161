package health

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/proc/proctest"
)

// TestExecProbeKillsItsChildren: a probe that hangs with a background child
// is killed at its timeout with the child, and a probe that passes leaves
// nothing running.
func TestExecProbeKillsItsChildren(t *testing.T) {
	tests := []struct {
		name    string
		script  func(dir string) string
		timeout time.Duration
		wantOK  bool
	}{
		{"hangs", func(dir string) string { return proctest.Background(dir) + "sleep 120" }, 200 * time.Millisecond, false},
		{"passes, child in the background", func(dir string) string {
			return "sleep 120 >/dev/null 2>&1 & echo $! > " + dir + "/child.pid"
		}, time.Minute, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			ctx, cancel := context.WithTimeout(t.Context(), tt.timeout)
			defer cancel()
			start := time.Now()
			r := Exec{Argv: []string{"/bin/sh", "-c", tt.script(dir)}}.Check(ctx)
			if r.OK != tt.wantOK {
				t.Errorf("OK = %v (%s), want %v", r.OK, r.Detail, tt.wantOK)
			}
			if took := time.Since(start); took > tt.timeout+2*time.Second && !tt.wantOK {
				t.Errorf("the probe took %s", took)
			}
			proctest.WantGone(t, proctest.ChildPID(t, dir))
		})
	}
}

func TestExecProbeLastLines(t *testing.T) {
	r := Exec{Argv: []string{"/bin/sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' x; echo; echo one; echo; echo two; echo three; exit 1"}}.Check(t.Context())
	if r.OK || !strings.HasSuffix(r.Detail, ": one | two | three") {
		t.Errorf("detail %q", r.Detail[max(0, len(r.Detail)-60):])
	}
}
