// Package e2etest runs the sysroll binary end to end inside a testbed
// container: it builds sysroll and the hello example once per test package,
// binds them into the container at BinDir, and runs commands there, where
// sysroll talks to the container's own systemd exactly as on a real host.
package e2etest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sysroll/sysroll/internal/testbed"
)

// BinDir is where the built binaries appear inside the container.
const BinDir = "/opt/sysroll/bin"

// Main is a TestMain body: build the binaries, boot one container with
// them bound in, run the tests, tear everything down.
func Main(m *testing.M, name string) {
	os.Exit(run(m, name))
}

func run(m *testing.M, name string) int {
	dir, err := os.MkdirTemp("", "sysroll-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	// The bind must be readable by the DynamicUser instances.
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	if err := Build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	return testbed.Run(m, testbed.Options{
		Name:  name,
		Binds: []testbed.Bind{{Host: dir, Container: BinDir, ReadOnly: true}},
	})
}

// Build compiles sysroll and hello into dir.
func Build(dir string) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	for _, b := range []struct{ out, pkg string }{
		{"sysroll", "./cmd/sysroll"},
		{"hello", "./examples/hello"},
	} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, b.out), b.pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %w\n%s", b.pkg, err, out)
		}
	}
	return nil
}

func repoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("e2etest: cannot find the repository")
	}
	return filepath.Abs(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Result is one finished command.
type Result struct {
	Stdout, Stderr string
	Code           int            // -1 if a signal killed it
	Signal         syscall.Signal // the signal that killed it, or 0
}

func (r Result) String() string {
	exit := fmt.Sprintf("exit %d", r.Code)
	if r.Signal != 0 {
		exit = fmt.Sprintf("killed by %s", unix.SignalName(r.Signal))
	}
	return fmt.Sprintf("%s\nstdout:\n%s\nstderr:\n%s", exit, r.Stdout, r.Stderr)
}

// exitOf fills in r's exit code and signal from a failed command's error.
func (r *Result) exitOf(ee *exec.ExitError) {
	r.Code = ee.ExitCode()
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		r.Signal = ws.Signal()
	}
}

// Sysroll runs the sysroll binary inside the shared container.
func Sysroll(t testing.TB, args ...string) Result {
	t.Helper()
	return Run(t, append([]string{BinDir + "/sysroll"}, args...)...)
}

// Run runs argv inside the shared container and returns its output and
// exit code; only a failure to run at all fails the test.
func Run(t testing.TB, argv ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := testbed.Shared(t)
	cmd := c.Command(ctx, argv...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := Result{Stdout: out.String(), Stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.exitOf(ee)
	default:
		t.Fatalf("run %s: %v", strings.Join(argv, " "), err)
	}
	return r
}

// MustSysroll runs sysroll and fails the test unless it exits 0.
func MustSysroll(t testing.TB, args ...string) Result {
	t.Helper()
	r := Sysroll(t, args...)
	if r.Code != 0 {
		t.Fatalf("sysroll %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// WriteFile writes a file inside the shared container.
func WriteFile(t testing.TB, path, content string, mode os.FileMode) {
	t.Helper()
	if err := testbed.Shared(t).WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// HelloRelease writes a release directory at dir inside the container whose
// `hello` runs the real hello binary as version, with extra flags (e.g.
// "--fail-at-start", "--crash-after=1s"). It returns dir, ready to be passed
// as --artifact.
func HelloRelease(t testing.TB, dir, version string, flags ...string) string {
	t.Helper()
	script := fmt.Sprintf("#!/bin/sh\nexec %s/hello --version %s %s \"$@\"\n", BinDir, version, strings.Join(flags, " "))
	WriteFile(t, filepath.Join(dir, "hello"), script, 0o755)
	return dir
}
