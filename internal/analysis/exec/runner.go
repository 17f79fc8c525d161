package exec

import (
	"context"
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sysroll/sysroll/internal/proc"
)

// outputKeep bounds the output kept of one run: its tail is what a message
// quotes, and a chatty command must not grow sysroll's memory.
const outputKeep = 16 << 10

// OSRunner runs commands as processes.
type OSRunner struct{}

var _ Runner = OSRunner{}

// Run runs argv as every command sysroll starts is run (internal/proc): in
// its own process group, killed whole at ctx's end (a script's curl too),
// and nothing it started outlives it; a child that keeps the output pipes
// open gets a second.
func (OSRunner) Run(ctx context.Context, argv, env []string) (Result, error) {
	cmd := proc.Command(ctx, argv[0], argv[1:]...)
	cmd.Env = append(cmd.Env, env...)
	out := proc.NewTail(outputKeep)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = time.Second
	err := proc.Run(cmd)
	res := Result{Output: out.Bytes()}
	if ctx.Err() != nil {
		return res, fmt.Errorf("stopped: %w", ctx.Err())
	}
	if errors.Is(err, osexec.ErrWaitDelay) && cmd.ProcessState != nil {
		// It exited, leaving a child holding its output: its exit status
		// is the result (and the child is gone).
		res.ExitCode = cmd.ProcessState.ExitCode()
		return res, nil
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
