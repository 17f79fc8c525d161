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

// A state dir that Open refuses (another owner, world-writable, a link in
// its place) blocks every verb, but uninstall --purge still removes the
// service: its units, and the dir (a link itself, never its target). A
// plain uninstall still refuses.
func TestPurgeUntrustedStateDir(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, dir string)
	}{
		{"owned by nobody", func(t *testing.T, dir string) { mustDo(t, os.Chown(dir, 65534, 65534)) }},
		{"mode 777", func(t *testing.T, dir string) { mustDo(t, os.Chmod(dir, 0o777)) }},
		{"releases owned by nobody", func(t *testing.T, dir string) { mustDo(t, os.Chown(filepath.Join(dir, "releases"), 65534, 65534)) }},
		{"a link", func(t *testing.T, dir string) {
			mustDo(t, os.Rename(dir, dir+".moved"))
			mustDo(t, os.Symlink(dir+".moved", dir))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if os.Geteuid() != 0 && strings.Contains(tc.name, "nobody") {
				t.Skip("chown needs root")
			}
			w := newWorld(t)
			w.install("shop", []string{"8081"})
			dir := filepath.Join(w.h.StateRoot, "shop")
			tc.change(t, dir)
			if err := w.h.Uninstall(t.Context(), UninstallOptions{Service: "shop"}); err == nil || !strings.Contains(err.Error(), "refusing to use the state directory") {
				t.Errorf("plain uninstall: %v, want the refusal", err)
			}
			var warnings []string
			if err := w.h.Uninstall(t.Context(), UninstallOptions{Service: "shop", Purge: true, Warn: func(m string) { warnings = append(warnings, m) }}); err != nil {
				t.Fatalf("uninstall --purge: %v", err)
			}
			if _, err := os.Lstat(dir); !os.IsNotExist(err) {
				t.Errorf("the state dir is still there: %v", err)
			}
			if _, err := os.Stat(filepath.Join(w.h.UnitDir, "shop@.service")); !os.IsNotExist(err) {
				t.Errorf("unit file left: %v", err)
			}
			if len(warnings) != 1 || !strings.Contains(warnings[0], "purging it without trusting it") {
				t.Errorf("warnings: %q", warnings)
			}
			if tc.name == "a link" {
				if _, err := os.Stat(filepath.Join(dir+".moved", "service.yaml")); err != nil {
					t.Errorf("the link's target was removed through it: %v", err)
				}
			}
		})
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
