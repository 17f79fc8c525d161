package lint

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/safeio"
)

// ReadFiles refuses what is not a unit file to read, at once, naming the
// file and the rule; it never blocks on a FIFO nor reads /dev/zero to its end.
func TestReadFilesRefuses(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.service")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.service")
	if err := os.WriteFile(big, []byte(strings.Repeat("#\n", MaxUnitFileSize/2+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(empty, "README"), []byte("not a unit"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		want string
		is   error
	}{
		{"/dev/zero", "/dev/zero: not a regular file (a character device)", safeio.ErrNotRegular},
		{fifo, fifo + ": not a regular file (a named pipe)", safeio.ErrNotRegular},
		{big, big + ": file too large: more than the 1 MiB allowed", safeio.ErrTooLarge},
		{empty, "lint " + empty + ": no unit files in this directory", nil},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := ReadFiles([]string{tc.path})
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("ReadFiles blocked")
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(%v) = false", tc.is)
			}
		})
	}
}

// A directory's unit files are read, and a unit masked by a link to
// /dev/null (as `systemctl mask` leaves it) is skipped, not refused.
func TestReadFilesDirectorySkipsMasked(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.service"), []byte("[Service]\nExecStart=/bin/true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(os.DevNull, filepath.Join(dir, "masked.service")); err != nil {
		t.Fatal(err)
	}
	files, err := ReadFiles([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || filepath.Base(files[0].Path) != "a.service" {
		t.Errorf("files = %v, want only a.service", files)
	}
}
