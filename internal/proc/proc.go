package proc

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultGrace is how long a command whose context ended has between
// SIGTERM and SIGKILL, and how long a child may keep the output pipes open
// after the command exited, before Wait gives up on them.
const DefaultGrace = 2 * time.Second

// Command is exec.CommandContext set up to run name in its own process
// group, with the environment of Environ. Run it with Run, which also kills
// what is left of the group afterwards; cmd.WaitDelay is the grace between
// SIGTERM and SIGKILL (DefaultGrace unless the caller changes it).
func Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	becomeSubreaper()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = Environ()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The whole group, politely first: a hook may want to clean up.
		// exec SIGKILLs the leader once WaitDelay has passed, and Run
		// SIGKILLs the rest of the group after Wait.
		return killGroup(cmd.Process.Pid, unix.SIGTERM)
	}
	cmd.WaitDelay = DefaultGrace
	return cmd
}

// Run starts cmd (made by Command), waits for it, and then SIGKILLs every
// process still in its group and every one that escaped it into a session
// of its own (see reapGroup): a background child must not outlive the step
// that started it, whether the command succeeded, failed or was killed.
//
// Output goes through pipes Run makes itself (see pipes.go), so what the
// command left holding them is killed as soon as the command exits, and
// its exit status is its result: an exit 0 is not turned into a failure
// by a daemon it started.
func Run(cmd *exec.Cmd) error {
	p, err := ownPipes(cmd)
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		p.close()
		return err
	}
	p.started()
	pgid := cmd.Process.Pid
	err = cmd.Wait()
	// ESRCH (nobody left) is the normal case.
	_ = killGroup(pgid, unix.SIGKILL)
	// And what left the group (setsid) or was re-parented to us.
	reapGroup(pgid)
	return waitErr(err, p.wait(cmd.WaitDelay))
}

func killGroup(pgid int, sig unix.Signal) error {
	if pgid <= 0 {
		return nil // never kill(0) or kill(-1): our own group, everyone
	}
	err := unix.Kill(-pgid, sig)
	if err == unix.ESRCH {
		return nil
	}
	return err
}

// Environ is sysroll's environment for a command it starts, with PATH
// cleaned by CleanPath.
func Environ() []string {
	env := os.Environ()
	out := env[:0]
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			kv = "PATH=" + CleanPath(v)
		}
		out = append(out, kv)
	}
	return out
}

// CleanPath drops the empty and relative entries of a PATH list. An empty
// entry (":/usr/bin", "/usr/bin:") and "." mean the working directory: a
// hook run as root by `sudo sysroll deploy` in a directory another user can
// write to would otherwise run that user's ./curl instead of /usr/bin/curl.
func CleanPath(path string) string {
	var keep []string
	for _, dir := range filepath.SplitList(path) {
		if filepath.IsAbs(dir) {
			keep = append(keep, dir)
		}
	}
	return strings.Join(keep, string(os.PathListSeparator))
}
