package health

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Exec runs a command; exit status 0 is healthy. The command's last output
// lines (stdout and stderr together) go into the Detail.
type Exec struct {
	Argv []string
	Dir  string
	Env  []string // nil: inherit sysroll's environment
}

// Check implements Probe. When ctx ends the command is killed; a child that
// keeps its output open is given half a second before Check returns anyway.
func (p Exec) Check(ctx context.Context) Result {
	start := time.Now()
	name := "exec " + strings.Join(p.Argv, " ")
	if len(p.Argv) == 0 {
		return Result{Detail: "exec: no command"}
	}
	cmd := exec.CommandContext(ctx, p.Argv[0], p.Argv[1:]...)
	cmd.Dir = p.Dir
	cmd.Env = p.Env
	var out tail
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 500 * time.Millisecond
	err := cmd.Run()
	if errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil && cmd.ProcessState.Success() {
		// The command exited 0 but left a child holding its output open:
		// the exit status is what we judge.
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
	if last := out.last(3); last != "" {
		r.Detail += ": " + last
	}
	return r
}

// tail keeps the last 4 KiB written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailSize = 4 << 10

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailSize {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailSize:]...)
	}
	return len(p), nil
}

// last returns the last n non-empty lines, joined by " | ", clipped.
func (t *tail) last(n int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var lines []string
	for _, l := range bytes.Split(t.buf, []byte("\n")) {
		if s := strings.TrimSpace(string(l)); s != "" {
			lines = append(lines, s)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return clip(strings.Join(lines, " | "), 300)
}
