package config

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

// Load (and ReadFile, which the engine uses where it reads the file itself)
// refuses what is not a service file to read, at once: a FIFO must not block,
// /dev/zero must not be read to its end, a file over MaxFileSize is not read.
func TestLoadRefusesNonRegularAndLarge(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte(strings.Repeat("#\n", MaxFileSize/2+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, want string
		is         error
	}{
		{"/dev/zero", "/dev/zero: not a regular file (a character device)", safeio.ErrNotRegular},
		{fifo, fifo + ": not a regular file (a named pipe)", safeio.ErrNotRegular},
		{dir, dir + ": not a regular file (a directory)", safeio.ErrNotRegular},
		{big, big + ": file too large: more than the 1 MiB allowed", safeio.ErrTooLarge},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			done := make(chan error, 2)
			go func() {
				_, err := Load(tc.path)
				done <- err
				_, err = ReadFile(tc.path)
				done <- err
			}()
			for _, fn := range []string{"Load", "ReadFile"} {
				select {
				case err := <-done:
					if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, tc.is) {
						t.Errorf("%s: err = %v, want %q (errors.Is %v)", fn, err, tc.want, tc.is)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("%s blocked", fn)
				}
			}
		})
	}
}
