//go:build integration

package deb

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/testbed"
)

// debDir is where the built package appears inside the container.
const debDir = "/srv/deb"

// built is the package TestMain built.
var built struct {
	file    string // base name of the .deb
	version string // its Debian version, e.g. 0.0.0~git20260516.43.abc1234-1
	commit  string // the commit it was built from
}

// TestMain builds the package once and boots one container with a writable
// /usr and a copy of the host's dpkg database.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "sysroll-e2e-deb-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	return testbed.Run(m, testbed.Options{
		Name:     "sysroll-e2e-deb",
		Binds:    []testbed.Bind{{Host: filepath.Join(dir, "deb"), Container: debDir, ReadOnly: true}},
		Overlays: []string{"/usr"},
		// dpkg resolves the users and groups of its statoverride file, and
		// man reads man-db's configuration: the container's own /etc has
		// only what systemd made at boot.
		Copies: []string{"/var/lib/dpkg", "/etc/passwd", "/etc/group", "/etc/manpath.config"},
	})
}

// build runs scripts/deb.sh into dir/deb (and its binary into dir/bin, not
// the developer's bin/) and fills in built.
func build(dir string) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	cmd := exec.Command("bash", "scripts/deb.sh")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "DEB_DIR="+filepath.Join(dir, "deb"), "BIN_DIR="+filepath.Join(dir, "bin"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("scripts/deb.sh: %w\n%s", err, out)
	}
	debs, err := filepath.Glob(filepath.Join(dir, "deb", "sysroll_*.deb"))
	if err != nil || len(debs) != 1 {
		return fmt.Errorf("scripts/deb.sh made %q, want one sysroll_*.deb (%v)", debs, err)
	}
	built.file = filepath.Base(debs[0])
	out, err := exec.Command("dpkg-deb", "--field", debs[0], "Version").Output()
	if err != nil {
		return fmt.Errorf("dpkg-deb --field %s Version: %w", debs[0], err)
	}
	built.version = strings.TrimSpace(string(out))
	rev := exec.Command("git", "rev-parse", "HEAD")
	rev.Dir = root
	if out, err = rev.Output(); err != nil {
		return fmt.Errorf("git rev-parse HEAD: %w", err)
	}
	built.commit = strings.TrimSpace(string(out))
	return nil
}

func repoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot find the repository")
	}
	return filepath.Abs(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}
