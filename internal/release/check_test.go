package release

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/proc/proctest"
)

// TestCheckTimeoutKillsTheGroup: a --check that hangs with a background
// child is killed at its timeout, child included.
func TestCheckTimeoutKillsTheGroup(t *testing.T) {
	dir, tmp := t.TempDir(), t.TempDir()
	start := time.Now()
	err := runCheck(context.Background(), dir, []string{"sh", "-c", proctest.Background(tmp) + "sleep 120"}, 200*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "timed out after 200ms") {
		t.Errorf("err = %v, want a timeout", err)
	}
	// The timeout, then at most the one-second grace for the pipes.
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the check took %s to end", took)
	}
	proctest.WantGone(t, proctest.ChildPID(t, tmp))
}

// TestCheckLeavesNothingBehind: a check that succeeds but backgrounds a
// child does not leave it running.
func TestCheckLeavesNothingBehind(t *testing.T) {
	dir, tmp := t.TempDir(), t.TempDir()
	if err := runCheck(context.Background(), dir, []string{"sh", "-c", "sleep 120 >/dev/null 2>&1 & echo $! > " + tmp + "/child.pid"}, time.Minute); err != nil {
		t.Fatal(err)
	}
	proctest.WantGone(t, proctest.ChildPID(t, tmp))
}

// TestCheckOutputIsBounded: a failing check that floods its output keeps
// the end in the error, no more.
func TestCheckOutputIsBounded(t *testing.T) {
	err := runCheck(context.Background(), t.TempDir(), []string{"sh", "-c", "head -c 10000000 /dev/zero | tr '\\0' x; echo; echo the reason; exit 1"}, time.Minute)
	if err == nil {
		t.Fatal("the check passed")
	}
	msg := err.Error()
	if len(msg) > checkOutputMax+200 || !strings.HasSuffix(msg, "the reason") {
		t.Errorf("error of %d bytes, ends %q", len(msg), msg[max(0, len(msg)-30):])
	}
}
