package testbed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DefaultPath is PATH for commands run inside.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// execEnv is the environment of commands run inside: the host test's own
// (GOFLAGS, HOME of the caller, ...) has no business in the container.
var execEnv = []string{
	"PATH=" + DefaultPath,
	"HOME=/root",
	"LANG=C.UTF-8",
	"TERM=dumb",
	"SYSTEMD_PAGER=",
	"SYSTEMD_COLORS=0",
}

// Exec runs argv inside the container (in all its namespaces and its root,
// as root) and returns its standard output. A failing command returns its
// output so far and an error with its standard error that wraps the
// *exec.ExitError.
func (c *Container) Exec(ctx context.Context, argv ...string) ([]byte, error) {
	if len(argv) == 0 {
		return nil, errors.New("testbed: Exec: empty command")
	}
	cmd := c.Command(ctx, argv...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("testbed %s: %s: %w: %s", c.name, strings.Join(argv, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, nil
}

// Command returns an unstarted command that runs argv inside the container,
// like Exec, for callers that wire its standard streams themselves. Its Env
// may be extended (the default PATH and HOME are set).
func (c *Container) Command(ctx context.Context, argv ...string) *exec.Cmd {
	args := append([]string{"-t", strconv.Itoa(c.initPID), "-m", "-u", "-i", "-n", "-p", "-r", "-w", "--"}, argv...)
	cmd := exec.CommandContext(ctx, "nsenter", args...)
	cmd.Env = slices.Clone(execEnv)
	// nsenter -p forks the command and waits for it. When the context ends,
	// kill the command, not nsenter: nsenter then exits by itself. Killing
	// nsenter would orphan the command to the host's init (nsenter is
	// outside the container's PID namespace), out of reach of the
	// container's systemd, whose halt then waits until the host reaps it.
	cmd.Cancel = func() error {
		for _, child := range children(cmd.Process.Pid) {
			syscall.Kill(child, syscall.SIGKILL)
		}
		return nil
	}
	// Kill nsenter after all if that did not end it, and do not wait
	// forever for pipes held open by what the command left behind.
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

// WriteFile writes a file inside the container, creating its parent
// directories. It writes a temporary file and renames it, so systemd never
// reads a half-written unit file.
func (c *Container) WriteFile(path string, data []byte, mode fs.FileMode) error {
	if !filepath.IsAbs(path) {
		return fmt.Errorf("testbed %s: write %s: path must be absolute", c.name, path)
	}
	dst := c.Path(path)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("testbed %s: write %s: %w", c.name, path, err)
	}
	f, err := os.CreateTemp(filepath.Dir(dst), ".testbed-*")
	if err != nil {
		return fmt.Errorf("testbed %s: write %s: %w", c.name, path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, mode)
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("testbed %s: write %s: %w", c.name, path, err)
	}
	return nil
}

// RemoveFile removes a file inside the container; a missing file is fine.
func (c *Container) RemoveFile(path string) error {
	if err := os.Remove(c.Path(path)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("testbed %s: remove %s: %w", c.name, path, err)
	}
	return nil
}
