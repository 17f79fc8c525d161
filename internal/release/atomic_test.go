package release

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "unit.service")
	for _, tc := range []struct {
		data string
		perm os.FileMode
	}{
		{"first\n", 0o640},
		{"second, longer\n", 0o644},
		{"", 0o600},
	} {
		if err := WriteFileAtomic(path, []byte(tc.data), tc.perm); err != nil {
			t.Fatal(err)
		}
		if got := string(mustRead(t, path)); got != tc.data {
			t.Errorf("content %q, want %q", got, tc.data)
		}
		if m := mode(t, path); m != tc.perm {
			t.Errorf("mode %v, want %v", m, tc.perm)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("dir holds %d entries, want 1 (no temp files)", len(entries))
	}
	err := WriteFileAtomic(filepath.Join(dir, "missing", "x"), nil, 0o644)
	wantErr(t, err, "missing/x")
}

// Readers racing the writer see the old or the new content, never a mix.
func TestWriteFileAtomicReaders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	a, b := []byte(strings.Repeat("a", 10000)), []byte(strings.Repeat("b", 20))
	must(t, WriteFileAtomic(path, a, 0o644))
	var (
		stop atomic.Bool
		bad  atomic.Int64
		wg   sync.WaitGroup
	)
	wg.Go(func() {
		for !stop.Load() {
			got, err := os.ReadFile(path)
			if err != nil || (!bytes.Equal(got, a) && !bytes.Equal(got, b)) {
				bad.Add(1)
			}
		}
	})
	for i := range 100 {
		must(t, WriteFileAtomic(path, [][]byte{a, b}[i%2], 0o644))
	}
	stop.Store(true)
	wg.Wait()
	if bad.Load() != 0 {
		t.Errorf("%d reads saw a torn or missing file", bad.Load())
	}
}

func TestOpenCreatesLayout(t *testing.T) {
	old := umask(0o077) // mkdirAll must not let the umask lock the service out
	defer umask(old)
	dir := filepath.Join(t.TempDir(), "sysroll", "hello")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name() != "hello" || s.Dir() != dir {
		t.Errorf("Name %q Dir %q", s.Name(), s.Dir())
	}
	for sub, want := range map[string]os.FileMode{
		"..":         0o755,
		".":          0o755,
		releasesDir:  0o755,
		instancesDir: 0o755,
		rolloutsDir:  0o700,
	} {
		if m := mode(t, filepath.Join(dir, sub)).Perm(); m != want {
			t.Errorf("%s: mode %v, want %v", sub, m, want)
		}
	}
	if _, err := Open(dir); err != nil {
		t.Errorf("reopen: %v", err)
	}
}

func umask(m int) int { return syscall.Umask(m) }
