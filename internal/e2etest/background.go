package e2etest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/schema"
	"github.com/sysroll/sysroll/internal/testbed"
)

// Background is a sysroll running in the background inside the shared
// container, whose PID there is known, so that a test can follow its
// output line by line and signal it mid-rollout.
type Background struct {
	t      testing.TB
	pid    string
	stdout *os.File    // read end of sysroll's standard output
	lines  chan string // standard output, line by line; closed at EOF
	mu     sync.Mutex  // guards out, stderr and res
	out    bytes.Buffer
	stderr bytes.Buffer
	waited chan struct{} // closed once sysroll has exited and res is set
	res    Result
}

// StartSysroll starts sysroll ARGS inside the shared container and returns
// once it knows sysroll's PID. The shell prints its own PID, then becomes
// sysroll: that PID is sysroll's. Cleanup kills sysroll if it still runs.
func StartSysroll(t testing.TB, args ...string) *Background {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	argv := append([]string{"sh", "-c", `echo $$; exec "$0" "$@"`, BinDir + "/sysroll"}, args...)
	cmd := testbed.Shared(t).Command(ctx, argv...)
	b := &Background{t: t, lines: make(chan string, 100000), waited: make(chan struct{})}
	// Standard output is a pipe of our own rather than one exec makes, so
	// that CloseStdout can close its read end.
	r, w, err := os.Pipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	b.stdout = r
	cmd.Stdout = w
	cmd.Stderr = &lockedWriter{mu: &b.mu, w: &b.stderr}
	err = cmd.Start()
	w.Close() // sysroll has its own copy now
	if err != nil {
		r.Close()
		cancel()
		t.Fatal(err)
	}
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(&lineWriter{b: b}, r)
		close(copied)
	}()
	go func() {
		err := cmd.Wait()
		// Everything sysroll wrote is in the pipe by now; wait until it is
		// read, but, like exec's WaitDelay, not forever for a process
		// sysroll left behind that still holds the pipe.
		select {
		case <-copied:
		case <-time.After(2 * time.Second):
		}
		r.Close()
		<-copied
		b.mu.Lock()
		b.res = Result{Stdout: b.out.String(), Stderr: b.stderr.String()}
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			b.res.exitOf(ee)
		default:
			b.res.Code = -1
			b.res.Stderr += "\n(wait: " + err.Error() + ")"
		}
		b.mu.Unlock()
		close(b.lines)
		close(b.waited)
	}()
	t.Cleanup(func() {
		select {
		case <-b.waited:
		default:
			b.Signal("KILL")
			b.drainLines()
			<-b.waited
		}
		cancel()
	})
	select {
	case l, ok := <-b.lines:
		b.pid = strings.TrimSpace(l)
		if _, err := strconv.Atoi(b.pid); !ok || err != nil {
			t.Fatalf("sysroll %s: no PID printed (%q): %s", strings.Join(args, " "), l, b.Output())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("sysroll %s: no PID printed within 30s", strings.Join(args, " "))
	}
	return b
}

// CloseStdout closes the read end of sysroll's standard output, as a
// viewer that goes away does (`ssh host sysroll …` whose connection
// drops): sysroll's next write to it fails with EPIPE. Lines not yet read
// are lost; what sysroll printed so far stays in Output and Result.
func (b *Background) CloseStdout() {
	if err := b.stdout.Close(); err != nil {
		b.t.Logf("close sysroll's standard output: %v", err)
	}
}

// PID is sysroll's process ID inside the container, as sysroll itself
// reports it (in lock messages and records of an interrupted rollout).
func (b *Background) PID() string { return b.pid }

// lockedWriter lets the exec copier write standard error while a test
// reads Output.
type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

// lineWriter keeps standard output and passes it on line by line.
type lineWriter struct {
	b       *Background
	partial []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.b.mu.Lock()
	w.b.out.Write(p)
	w.b.mu.Unlock()
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.b.lines <- string(w.partial[:i])
		w.partial = w.partial[i+1:]
	}
	return len(p), nil
}

// Signal sends sig (a name such as INT or KILL) to sysroll in the
// container. A failed kill is logged, not fatal: sysroll may have just
// exited on its own.
func (b *Background) Signal(sig string) {
	b.t.Helper()
	if r := Run(b.t, "kill", "-s", sig, b.pid); r.Code != 0 {
		b.t.Logf("kill -s %s %s: %s", sig, b.pid, r)
	}
}

// WaitEvent reads `--json` events from standard output until match returns
// true and returns that event, passing over plain lines. It fails the test
// if sysroll ends first or within runs out.
func (b *Background) WaitEvent(within time.Duration, match func(schema.Event) bool) schema.Event {
	b.t.Helper()
	var e schema.Event
	b.waitFor(within, func(l string) bool {
		e = schema.Event{}
		return json.Unmarshal([]byte(l), &e) == nil && match(e)
	}, "sysroll ended before the awaited event", "no awaited event")
	return e
}

// WaitLine reads lines from standard output until one contains s. It fails
// the test if sysroll ends first or within runs out.
func (b *Background) WaitLine(within time.Duration, s string) {
	b.t.Helper()
	b.waitFor(within, func(l string) bool { return strings.Contains(l, s) },
		fmt.Sprintf("sysroll ended before printing %q", s), fmt.Sprintf("no line with %q", s))
}

// waitFor reads lines from standard output until match accepts one. ended
// and late start the failure message when sysroll exits first or within
// runs out.
func (b *Background) waitFor(within time.Duration, match func(line string) bool, ended, late string) {
	b.t.Helper()
	timeout := time.After(within)
	for {
		select {
		case l, ok := <-b.lines:
			if !ok {
				b.t.Fatalf("%s: %s", ended, b.Wait(10*time.Second))
			}
			if match(l) {
				return
			}
		case <-timeout:
			b.t.Fatalf("%s within %s; output so far:\n%s", late, within, b.Output())
		}
	}
}

// Output is everything sysroll wrote so far, standard error last, for
// failure messages.
func (b *Background) Output() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.out.String() + "\nstderr:\n" + b.stderr.String()
}

// drainLines keeps reading standard output so the writer never blocks
// once nobody waits for a line.
func (b *Background) drainLines() {
	go func() {
		for range b.lines {
		}
	}()
}

// Wait waits for sysroll to exit and returns its result; it fails the
// test if within runs out. Lines not yet read are dropped (they stay in
// Result.Stdout).
func (b *Background) Wait(within time.Duration) Result {
	b.t.Helper()
	b.drainLines()
	select {
	case <-b.waited:
	case <-time.After(within):
		b.t.Fatalf("sysroll did not exit within %s; output so far:\n%s", within, b.Output())
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.res
}
