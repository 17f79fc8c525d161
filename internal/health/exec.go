package health

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/proc"
)

// Exec runs a command; exit status 0 is healthy. The command's last output
// lines (stdout and stderr together) go into the Detail.
type Exec struct {
	Argv []string
	Dir  string
	Env  []string // nil: sysroll's environment (PATH without relative entries)
}

// execOutputMax is how much of a probe's output is kept (the end) for its
// last lines.
const execOutputMax = 4 << 10

// Check implements Probe. The command runs in its own process group; when
// ctx ends the group is killed (SIGTERM, SIGKILL half a second later), and
// nothing it started outlives the check. A child that keeps the output open
// is given half a second before Check returns anyway.
func (p Exec) Check(ctx context.Context) Result {
	start := time.Now()
	name := "exec " + strings.Join(p.Argv, " ")
	if len(p.Argv) == 0 {
		return Result{Detail: "exec: no command"}
	}
	cmd := proc.Command(ctx, p.Argv[0], p.Argv[1:]...)
	cmd.Dir = p.Dir
	if p.Env != nil {
		cmd.Env = p.Env
	}
	out := proc.NewTail(execOutputMax)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 500 * time.Millisecond
	err := proc.Run(cmd)
	if errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil && cmd.ProcessState.Success() {
		// The command exited 0 but left a child holding its output open:
		// the exit status is what we judge (and the child is gone).
		err = nil
	}
	r := Result{OK: err == nil, Took: time.Since(start)}
	status := "exit status 0"
	if err != nil {
		status = err.Error()
		if ctx.Err() != nil {
			status = fmt.Sprintf("%v (%v)", err, ctx.Err())
		}
	}
	r.Detail = name + ": " + status
	if last := lastLines(out.Bytes(), 3); last != "" {
		r.Detail += ": " + last
	}
	return r
}

// lastLines returns the last n non-empty lines of out, joined by " | ",
// clipped.
func lastLines(out []byte, n int) string {
	var lines []string
	for _, l := range bytes.Split(out, []byte("\n")) {
		if s := strings.TrimSpace(string(l)); s != "" {
			lines = append(lines, s)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return clip(strings.Join(lines, " | "), 300)
}
