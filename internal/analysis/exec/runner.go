package exec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// outputKeep bounds the output kept of one run: its tail is what a message
// quotes, and a chatty command must not grow sysroll's memory.
const outputKeep = 16 << 10

// OSRunner runs commands as processes.
type OSRunner struct{}

var _ Runner = OSRunner{}

// Run starts argv in its own process group, so that at ctx's end the whole
// group is killed (a script's curl too), and waits at most a second more for
// the output pipes to close.
func (OSRunner) Run(ctx context.Context, argv, env []string) (Result, error) {
	cmd := osexec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	out := &tailBuffer{max: outputKeep}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	res := Result{Output: out.Bytes()}
	if ctx.Err() != nil {
		return res, fmt.Errorf("stopped: %w", ctx.Err())
	}
	var ee *osexec.ExitError
	if errors.As(err, &ee) {
		res.ExitCode = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			res.ExitCode = 128 + int(ws.Signal())
		}
		return res, nil
	}
	return res, err
}

// Check is the preflight's look at a command: argv0 exists, is a regular
// file, and this process may execute it. It does not run it: the canary
// does not exist yet, and a smoke test may have effects of its own.
func Check(argv0 string) error {
	fi, err := os.Stat(argv0)
	if err != nil {
		return fmt.Errorf("exec %s: %w", argv0, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("exec %s: not a regular file (%s)", argv0, fi.Mode().Type())
	}
	if err := unix.Access(argv0, unix.X_OK); err != nil {
		return fmt.Errorf("exec %s: not executable by this process (mode %v): %w", argv0, fi.Mode().Perm(), err)
	}
	return nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	buf bytes.Buffer
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) > t.max {
		p = p[len(p)-t.max:]
	}
	t.buf.Write(p)
	if extra := t.buf.Len() - t.max; extra > 0 {
		t.buf.Next(extra)
	}
	return n, nil
}

func (t *tailBuffer) Bytes() []byte { return bytes.Clone(t.buf.Bytes()) }
