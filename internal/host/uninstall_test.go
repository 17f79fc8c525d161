package host

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// An applied.json that cannot be removed (immutable, chattr +i) fails a
// plain uninstall once, naming the file: the installer never needs the
// file, so there is no fallback that renames it aside and tries again (a
// rename fails as the removal did, and only added a second error).
func TestUninstallAppliedUndeletable(t *testing.T) {
	w := newWorld(t)
	w.install("shop", three)
	path := filepath.Join(w.h.StateRoot, "shop", appliedFile)
	setImmutable(t, path)
	var warnings []string
	err := w.h.Uninstall(t.Context(), UninstallOptions{Service: "shop", Warn: func(m string) { warnings = append(warnings, m) }})
	if err == nil || !strings.HasPrefix(err.Error(), "uninstall shop: remove "+path) || strings.Contains(err.Error(), "\n") {
		t.Errorf("uninstall with %s immutable: %v, want one error naming it", path, err)
	}
	if _, err := os.Lstat(path + ".unreadable"); !os.IsNotExist(err) {
		t.Errorf("%s.unreadable: %v", path, err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings: %q", warnings)
	}
	if _, err := os.Lstat(path); err != nil {
		t.Errorf("%s: %v", path, err)
	}
}

// fsImmutable is FS_IMMUTABLE_FL of linux/fs.h (x/sys/unix lacks it).
const fsImmutable = 0x10

// setImmutable sets the immutable attribute on path (FS_IMMUTABLE_FL) until
// the test ends.
func setImmutable(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err == nil {
		err = unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags|fsImmutable))
	}
	if err != nil {
		t.Skipf("cannot make %s immutable (needs CAP_LINUX_IMMUTABLE and a filesystem with chattr +i): %v", path, err)
	}
	t.Cleanup(func() {
		f, err := os.Open(path)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		if err := unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags&^fsImmutable)); err != nil {
			t.Error(err)
		}
	})
}
