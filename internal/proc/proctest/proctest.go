// Package proctest helps tests prove that a command sysroll started left
// no process behind.
package proctest

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Background is a shell snippet that starts a background child holding
// the output pipes and writes its PID to the file ChildPID reads; put it in
// front of the command under test: Background(dir) + "sleep 120".
func Background(dir string) string {
	return "sleep 120 & echo $! > " + filepath.Join(dir, "child.pid") + "; "
}

// ChildPID is the PID Background recorded in dir.
func ChildPID(t testing.TB, dir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "child.pid"))
	if err != nil {
		t.Fatalf("the command did not record its child: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		t.Fatalf("child pid file %q", b)
	}
	return pid
}

// WantGone waits until pid has died: kill(pid, 0) fails with ESRCH, or the
// process is a zombie (it has exited and runs nothing; the init of these
// machines reaps orphans only every second or two). It fails the test if
// pid still runs after 3 s.
func WantGone(t testing.TB, pid int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		err := unix.Kill(pid, 0)
		if errors.Is(err, unix.ESRCH) || zombie(pid) {
			return
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
			// Do not leave it running for the next test.
			_ = unix.Kill(pid, unix.SIGKILL)
			t.Fatalf("child %d still ran (kill 0: %v; stat %s); killed it now", pid, err, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// zombie reports whether pid has exited but is not reaped yet (state Z in
// /proc/PID/stat, after the parenthesised command name).
func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i > 0 && i+2 < len(b) && b[i+2] == 'Z'
}
