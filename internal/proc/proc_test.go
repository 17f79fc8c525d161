package proc

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/proc/proctest"
)

// testGrace is the SIGTERM-to-SIGKILL grace of the tests (DefaultGrace
// would only make them slower).
const testGrace = 300 * time.Millisecond

// grandchild starts `sh -c SCRIPT` where SCRIPT backgrounds a sleep and
// writes its PID to a file; it returns the command and a function reading
// that PID.
func grandchild(ctx context.Context, t *testing.T, script string) (*Tail, func() int, error) {
	t.Helper()
	pidFile := filepath.Join(t.TempDir(), "pid")
	cmd := Command(ctx, "/bin/sh", "-c", strings.ReplaceAll(script, "PIDFILE", pidFile))
	cmd.WaitDelay = testGrace
	out := NewTail(64)
	cmd.Stdout, cmd.Stderr = out, out
	err := Run(cmd)
	return out, func() int {
		t.Helper()
		b, rerr := os.ReadFile(pidFile)
		if rerr != nil {
			t.Fatalf("the command did not record its child: %v", rerr)
		}
		pid, perr := strconv.Atoi(strings.TrimSpace(string(b)))
		if perr != nil || pid <= 1 {
			t.Fatalf("pid file %q", b)
		}
		return pid
	}, err
}

func TestRunKillsTheGroup(t *testing.T) {
	tests := []struct {
		name    string
		script  string
		timeout time.Duration
		wantErr bool
		within  time.Duration // Run returns within this
	}{
		// The grandchild holds stdout open: killing only sh would leave it
		// running and Wait hanging on the pipe.
		{"hanging, killed at the timeout", `sleep 120 & echo $! > PIDFILE; sleep 120`, 200 * time.Millisecond, true, 200*time.Millisecond + testGrace},
		// SIGTERM is ignored: SIGKILL after the grace.
		{"ignores SIGTERM", `trap "" TERM; (trap "" TERM; sleep 120) & echo $! > PIDFILE; sleep 120`, 200 * time.Millisecond, true, 200*time.Millisecond + 2*testGrace},
		// Exited 0, left a child behind that holds no pipe: killed after Wait.
		{"left behind after success", `sleep 120 >/dev/null 2>&1 & echo $! > PIDFILE; exit 0`, time.Minute, false, testGrace},
		// Exited 1, left a child holding stdout: Wait gives up after the
		// grace, and the child is killed.
		{"holds the pipe after failure", `sleep 120 & echo $! > PIDFILE; exit 1`, time.Minute, true, 2 * testGrace},
		// A session of its own (setsid) leaves the group: re-parented to
		// us (a subreaper) when sh exits, and killed as an escaped orphan.
		// sh exits only once the child is in its session (it wrote its
		// PID after setsid), so the group kill cannot catch it by luck.
		{"setsid after success", `setsid sh -c 'echo $$ > PIDFILE; exec sleep 120' >/dev/null 2>&1 </dev/null & while [ ! -s PIDFILE ]; do sleep 0.01; done; exit 0`, time.Minute, false, testGrace},
		// The same child holding stdout: it is killed when sh exits, so
		// the exit 0 is the result, at once (it used to be ErrWaitDelay,
		// "exec: WaitDelay expired before I/O complete", after the grace).
		{"setsid holds the pipe after success", `setsid sh -c 'echo $$ > PIDFILE; exec sleep 120' & while [ ! -s PIDFILE ]; do sleep 0.01; done; exit 0`, time.Minute, false, testGrace / 2},
		// Double fork into a new session, killed at the timeout: the
		// session's leader is killed with its group, its child too.
		{"setsid double fork, hanging", `(setsid sh -c 'sleep 120 & echo $! > PIDFILE; wait' >/dev/null 2>&1 </dev/null &); sleep 120`, 200 * time.Millisecond, true, 200*time.Millisecond + testGrace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), tt.timeout)
			defer cancel()
			start := time.Now()
			_, pid, err := grandchild(ctx, t, tt.script)
			took := time.Since(start)
			if (err != nil) != tt.wantErr {
				t.Errorf("err = %v, want error: %v", err, tt.wantErr)
			}
			if took > tt.within+500*time.Millisecond {
				t.Errorf("Run took %s, want at most %s", took, tt.within)
			}
			proctest.WantGone(t, pid())
		})
	}
}

// The output of a command that exited is all there, though a child it
// left in its own session held the pipe.
func TestRunKeepsTheOutput(t *testing.T) {
	cmd := Command(t.Context(), "/bin/sh", "-c", `echo one; setsid sleep 120 & sleep 0.1; echo two`)
	out := NewTail(64)
	cmd.Stdout, cmd.Stderr = out, out
	start := time.Now()
	if err := Run(cmd); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Run took %s", took)
	}
	if got := out.String(); got != "one\ntwo\n" {
		t.Errorf("output %q", got)
	}
}

func TestRunCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, pid, err := grandchild(ctx, t, `sleep 120 & echo $! > PIDFILE; wait`)
	if err == nil || !errors.Is(ctx.Err(), context.Canceled) {
		t.Errorf("err = %v", err)
	}
	proctest.WantGone(t, pid())
}

func TestRunFloodKeepsMemoryBounded(t *testing.T) {
	// 64 MiB through the pipe; the tail keeps 4 KiB, and nothing on the way
	// holds more than a read buffer.
	const flood = 64 << 20
	cmd := Command(t.Context(), "/bin/sh", "-c", "head -c "+strconv.Itoa(flood)+" /dev/zero; echo; echo the end")
	out := NewTail(DefaultTail)
	cmd.Stdout = out
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := Run(cmd); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 4<<20 {
		t.Errorf("allocated %d bytes for a %d-byte flood", got, flood)
	}
	if s := out.String(); len(s) > DefaultTail+3 || !strings.HasSuffix(s, "\nthe end\n") || !out.Truncated() {
		t.Errorf("tail: %d bytes, ends %q, truncated %v", len(s), s[max(0, len(s)-20):], out.Truncated())
	}
}

func TestRunNotStarted(t *testing.T) {
	cmd := Command(t.Context(), filepath.Join(t.TempDir(), "missing"))
	if err := Run(cmd); err == nil {
		t.Error("a missing program ran")
	}
}

func TestCleanPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/usr/bin:/bin", "/usr/bin:/bin"},
		{".:/usr/bin", "/usr/bin"},
		{"/usr/bin::/bin", "/usr/bin:/bin"},
		{"/usr/bin:", "/usr/bin"},
		{":/usr/bin", "/usr/bin"},
		{"bin:../x:/sbin", "/sbin"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := CleanPath(tt.in); got != tt.want {
			t.Errorf("CleanPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEnvironCleansPath(t *testing.T) {
	t.Setenv("PATH", ".:/usr/bin::/bin")
	t.Setenv("SYSROLL_TEST_KEEP", "yes")
	env := Environ()
	var path string
	keep := false
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
		keep = keep || kv == "SYSROLL_TEST_KEEP=yes"
	}
	if path != "/usr/bin:/bin" || !keep {
		t.Errorf("PATH %q, other variables kept: %v", path, keep)
	}
	if os.Getenv("PATH") != ".:/usr/bin::/bin" {
		t.Error("Environ changed sysroll's own environment")
	}
}
