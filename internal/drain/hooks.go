package drain

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/proc"
)

// Hook names, as in the service file and in errors.
const (
	HookPreStop   = "pre_stop"
	HookPostStart = "post_start"
)

// hookWaitDelay is a killed hook's grace between SIGTERM and SIGKILL, and
// how long its output pipes may stay open (a background child holding them)
// before Wait gives up on them.
const hookWaitDelay = 2 * time.Second

// maxHookOutput is how much of a failing hook's output goes into the error:
// the end, where the reason usually is.
const maxHookOutput = 4 << 10

// Hooks runs shell commands around an instance's restart for load
// balancers without an adapter: Drain runs PreStop, Undrain runs PostStart,
// each as `/bin/sh -c CMD` with SYSROLL_SERVICE, SYSROLL_INSTANCE,
// SYSROLL_PORT and SYSROLL_RELEASE in its environment. The commands must
// be idempotent, like any Drainer: after a crash the engine undrains
// instances it is not sure it drained.
type Hooks struct {
	Service string
	// PreStop and PostStart are the commands; empty: nothing to run.
	PreStop, PostStart string
	// Release resolves the release an instance points at when the hook runs
	// (before the switch for pre_stop, after it for post_start); nil or an
	// error: SYSROLL_RELEASE is empty. rollout.Releases.Current fits.
	Release func(instance string) (string, error)
	// Port resolves an instance's port; nil or false: SYSROLL_PORT is empty.
	Port func(instance string) (int, bool)
	// Expand, when set, fills placeholders in the command with the
	// resolved release and the instance (config.Service.Expand fits).
	Expand func(cmd, release, instance string) string
	// Timeout bounds each hook on top of ctx; 0: ctx alone.
	Timeout time.Duration
	// Shell runs the command with -c; default /bin/sh.
	Shell string
}

var _ Drainer = (*Hooks)(nil)

// HookError is a hook that failed: non-zero exit, killed at its timeout,
// or not started. Output is the end of its stdout and stderr.
type HookError struct {
	Hook     string
	Instance string
	Command  string
	Output   string
	Err      error
}

func (e *HookError) Error() string {
	msg := fmt.Sprintf("%s hook for %s (%s): %v", e.Hook, e.Instance, e.Command, e.Err)
	if out := strings.TrimSpace(e.Output); out != "" {
		msg += "\noutput:\n" + out
	}
	return msg
}

func (e *HookError) Unwrap() error { return e.Err }

// Drain implements Drainer: it runs PreStop.
func (h *Hooks) Drain(ctx context.Context, instance string) error {
	return h.run(ctx, HookPreStop, h.PreStop, instance)
}

// Undrain implements Drainer: it runs PostStart.
func (h *Hooks) Undrain(ctx context.Context, instance string) error {
	return h.run(ctx, HookPostStart, h.PostStart, instance)
}

// Env is the environment a hook adds for an instance.
func (h *Hooks) Env(instance string) (release string, env []string) {
	if h.Release != nil {
		if r, err := h.Release(instance); err == nil {
			release = r
		}
	}
	port := ""
	if h.Port != nil {
		if p, ok := h.Port(instance); ok {
			port = strconv.Itoa(p)
		}
	}
	return release, []string{
		"SYSROLL_SERVICE=" + h.Service,
		"SYSROLL_INSTANCE=" + instance,
		"SYSROLL_PORT=" + port,
		"SYSROLL_RELEASE=" + release,
	}
}

func (h *Hooks) run(ctx context.Context, hook, cmdline, instance string) error {
	if strings.TrimSpace(cmdline) == "" {
		return nil
	}
	release, env := h.Env(instance)
	if h.Expand != nil {
		cmdline = h.Expand(cmdline, release, instance)
	}
	if h.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.Timeout)
		defer cancel()
	}
	shell := h.Shell
	if shell == "" {
		shell = "/bin/sh"
	}
	// Own process group, killed whole at the timeout (and whatever of it
	// outlives the shell): killing only the shell would leave `sleep 100`
	// in `sh -c "...; sleep 100"` running.
	cmd := proc.Command(ctx, shell, "-c", cmdline)
	// Hooks run as root with a command from the service file: not in
	// whatever directory sysroll was started from (another user's, maybe),
	// and with a PATH that has no relative entries (proc.Environ), so a
	// bare `curl` cannot be ./curl.
	cmd.Dir = "/"
	cmd.Env = append(cmd.Env, env...)
	out := proc.NewTail(maxHookOutput)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = hookWaitDelay
	err := proc.Run(cmd)
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		err = fmt.Errorf("ran out of time, killed: %w", ctx.Err())
	case ctx.Err() != nil:
		err = fmt.Errorf("interrupted, killed: %w", ctx.Err())
	}
	return &HookError{Hook: hook, Instance: instance, Command: cmdline, Output: out.String(), Err: err}
}
