package release

import (
	"context"
	"errors"
	"os"
	"path/filepath"
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

// A check that writes into the release (Python's __pycache__ when it
// imports the app) is refused: the tree's sha256 was taken before it ran,
// and the first deploy would have refused the release as changed. Python
// itself is told not to write bytecode, so `python3 -c 'import app'` works.
func TestCheckMustNotWriteIntoTheRelease(t *testing.T) {
	for _, tc := range []struct {
		name  string
		check []string
		want  string // "" for success
	}{
		{"writes a file", []string{"/bin/sh", "-c", "echo x > {release}/junk"}, `wrote into the release`},
		{"writes elsewhere", []string{"/bin/sh", "-c", "echo x > /dev/null"}, ""},
		{"python is told not to write bytecode", []string{"/bin/sh", "-c", `test "$PYTHONDONTWRITEBYTECODE" = 1`}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			src := t.TempDir()
			if err := os.WriteFile(filepath.Join(src, "app.py"), []byte("print(1)\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := s.Stage(context.Background(), src, StageOptions{Check: tc.check})
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if _, ok := errors.AsType[*CheckError](err); !ok || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Stage = %v, want a *CheckError saying %q", err, tc.want)
			}
			if left := releaseDirEntries(t, s); len(left) != 0 {
				t.Errorf("left behind %v", left)
			}
		})
	}
}

// A failed check's message keeps the command's quoting.
func TestCheckMessageKeepsQuoting(t *testing.T) {
	s := newStore(t)
	bin := helloScript(t, t.TempDir(), "1.0")
	_, err := s.Stage(context.Background(), bin, StageOptions{Check: []string{"/bin/sh", "-c", "echo it's broken; exit 3"}})
	want := `check "/bin/sh -c 'echo it'\\''s broken; exit 3'" failed`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Stage = %v, want it to contain %s", err, want)
	}
}
