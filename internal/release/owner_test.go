package release

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenRefusesUntrustedDirs: a state directory someone else can change
// is refused, naming the path, its owner and mode, and the fix.
func TestOpenRefusesUntrustedDirs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		root   bool // needs root (chown)
		setup  func(t *testing.T, top, dir string)
		path   string // the directory named, relative to top
		msg    []string
		accept bool
	}{
		{name: "fresh", accept: true},
		{name: "store group-writable", setup: func(t *testing.T, _, dir string) { must(t, os.Chmod(dir, 0o775)) },
			path: "state/hello", msg: []string{"mode drwxrwxr-x", "is writable by its group or by others", "Fix: chmod go-w "}},
		{name: "rollouts other-writable", setup: func(t *testing.T, _, dir string) { must(t, os.Chmod(filepath.Join(dir, rolloutsDir), 0o707)) },
			path: "state/hello/rollouts", msg: []string{"chmod go-w"}},
		{name: "releases is a link", setup: func(t *testing.T, top, dir string) {
			must(t, os.Rename(filepath.Join(dir, releasesDir), filepath.Join(top, "elsewhere")))
			must(t, os.Symlink(filepath.Join(top, "elsewhere"), filepath.Join(dir, releasesDir)))
		}, path: "state/hello/releases", msg: []string{"is not a directory but a symbolic link"}},
		{name: "state root group-writable", setup: func(t *testing.T, top, _ string) { must(t, os.Chmod(filepath.Join(top, "state"), 0o770)) },
			path: "state", msg: []string{"is writable by its group or by others"}},
		{name: "ancestor world-writable", setup: func(t *testing.T, top, _ string) { must(t, os.Chmod(top, 0o777)) },
			path: ".", msg: []string{"mode drwxrwxrwx"}},
		{name: "ancestor sticky like /tmp", setup: func(t *testing.T, top, _ string) { must(t, os.Chmod(top, 0o777|os.ModeSticky)) }, accept: true},
		{name: "store owned by another user", root: true, setup: func(t *testing.T, _, dir string) { must(t, os.Chown(dir, 65534, 65534)) },
			path: "state/hello", msg: []string{"is owned by ", "not by you (root) or root", "Fix: chown root "}},
		{name: "state root owned by another user", root: true, setup: func(t *testing.T, top, _ string) { must(t, os.Chown(filepath.Join(top, "state"), 65534, 65534)) },
			path: "state", msg: []string{"is owned by "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.root && os.Geteuid() != 0 {
				t.Skip("needs root to give a directory to another user")
			}
			top := t.TempDir()
			dir := filepath.Join(top, "state", "hello")
			_, err := Open(dir) // creates it all, safely
			must(t, err)
			if tc.setup != nil {
				tc.setup(t, top, dir)
			}
			_, err = Open(dir)
			if tc.accept {
				must(t, err)
				return
			}
			wantErr(t, err, filepath.Join(top, tc.path)+" (owner ")
			for _, m := range tc.msg {
				wantErr(t, err, m)
			}
			if !errors.Is(err, ErrUntrusted) {
				t.Errorf("error is not ErrUntrusted: %v", err)
			}
		})
	}
}
