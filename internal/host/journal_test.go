package host

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/proc/proctest"
)

// fakeJournalctl puts a journalctl first in PATH that answers --sync and
// otherwise runs script.
func fakeJournalctl(t *testing.T, script string) {
	t.Helper()
	dir := t.TempDir()
	body := "#!/bin/sh\ncase \"$*\" in *--sync*) exit 0;; esac\n" + script + "\n"
	if err := os.WriteFile(filepath.Join(dir, "journalctl"), []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
}

// TestJournalTailIsBounded: a journal that floods (a unit logging one huge
// line) costs a bounded amount of memory, and the last lines still come.
func TestJournalTailIsBounded(t *testing.T) {
	const flood = 50 << 20
	fakeJournalctl(t, `head -c 52428800 /dev/zero | tr '\0' x; printf '\nlast one\nlast two\n'`)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	lines := journalTail(false)(t.Context(), "x@1.service", 2)
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 8<<20 {
		t.Errorf("allocated %d bytes reading a %d-byte journal", got, flood)
	}
	if !slices.Equal(lines, []string{"last one", "last two"}) {
		t.Errorf("lines %.200q", lines)
	}
}

// TestJournalTailDoesNotHang: a journalctl that hangs with a child holding
// its output is killed with the child at the deadline; the rollout gets one
// line saying so.
func TestJournalTailDoesNotHang(t *testing.T) {
	tmp := t.TempDir()
	fakeJournalctl(t, proctest.Background(tmp)+"sleep 120")
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	lines := journalTail(false)(ctx, "x@1.service", 5)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("journalTail took %s", took)
	}
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "(journal unavailable: ") {
		t.Errorf("lines %q", lines)
	}
	proctest.WantGone(t, proctest.ChildPID(t, tmp))
}
