package session

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// helperEnv selects what the test binary does when a test runs it as a
// child process: the session's effects (surviving a broken pipe on
// standard output, a child's signal dispositions) only show in a process
// of their own.
const helperEnv = "SESSION_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helper(mode))
	}
	os.Exit(m.Run())
}

// helper prints a line every 5ms to standard output until the session
// ends, then says why on standard error. Mode "bare" prints the same way
// without a session: Go's default, for the test to show what it guards
// against. Mode "child" prints a child process's /proc status instead.
func helper(mode string) int {
	switch mode {
	case "bare":
		for i := 0; ; i++ {
			fmt.Fprintf(os.Stdout, "line %d\n", i)
			time.Sleep(5 * time.Millisecond)
		}
	case "child":
		s := Start(context.Background())
		defer s.Stop()
		out, err := exec.Command("cat", "/proc/self/status").Output()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		os.Stdout.Write(out)
		return 0
	}
	s := Start(context.Background())
	defer s.Stop()
	out := s.Output(os.Stdout)
	for i := 0; s.Context().Err() == nil; i++ {
		fmt.Fprintf(out, "line %d\n", i)
		time.Sleep(5 * time.Millisecond)
	}
	// Printing on after the end must not fail either: this is where the
	// CLI prints its summary.
	fmt.Fprintf(out, "summary\n")
	fmt.Fprintf(os.Stderr, "ended: %v\n", context.Cause(s.Context()))
	return 0
}

// child is a running helper whose standard output the test reads through
// a pipe it can close.
type child struct {
	t      *testing.T
	cmd    *exec.Cmd
	out    *os.File // read end of the helper's standard output
	lines  *bufio.Reader
	stderr bytes.Buffer
}

func startHelper(t *testing.T, mode string) *child {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{t: t, cmd: exec.Command(os.Args[0], "-test.run=^$"), out: r, lines: bufio.NewReader(r)}
	c.cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	c.cmd.Stdout = w // the pipe itself, so closing r breaks it for the child
	c.cmd.Stderr = &c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			_ = c.cmd.Process.Kill() // our own child, by PID
			_ = c.cmd.Wait()
		}
		r.Close()
	})
	return c
}

// readLine waits for the helper's next line of output.
func (c *child) readLine() string {
	c.t.Helper()
	l, err := c.lines.ReadString('\n')
	if err != nil {
		c.t.Fatalf("helper output: %v (stderr: %s)", err, c.stderr.String())
	}
	return l
}

// wait waits for the helper to exit and returns how: its exit code, or the
// signal that killed it.
func (c *child) wait() (code int, sig syscall.Signal) {
	c.t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			c.t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		c.t.Fatalf("helper still running 10s after the end of its session (stderr: %s)", c.stderr.String())
	}
	ws := c.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return -1, ws.Signal()
	}
	return ws.ExitStatus(), 0
}

// Without a session, a reader that goes away kills the process with
// SIGPIPE on its next line: what `ssh host sysroll deploy` did to a
// rollout when the connection dropped.
func TestBareProcessDiesOfBrokenPipe(t *testing.T) {
	c := startHelper(t, "bare")
	c.readLine()
	c.out.Close()
	if code, sig := c.wait(); sig != syscall.SIGPIPE {
		t.Errorf("bare helper: exit %d, signal %v; want killed by SIGPIPE (the harness cannot tell otherwise)", code, sig)
	}
}

// With a session, the same broken pipe ends the session's context
// instead: the process carries on to its end, prints its summary into the
// void without failing, and exits normally.
func TestBrokenStdoutEndsContext(t *testing.T) {
	c := startHelper(t, "print")
	c.readLine()
	c.out.Close()
	code, sig := c.wait()
	if sig != 0 || code != 0 {
		t.Fatalf("helper: exit %d, signal %v; want exit 0 (stderr: %s)", code, sig, c.stderr.String())
	}
	if want := "ended: " + ErrOutputGone.Error(); !strings.Contains(c.stderr.String(), want) {
		t.Errorf("stderr %q, want %q", c.stderr.String(), want)
	}
}

// Every signal that ends a session the way Ctrl-C does ends the context
// and lets the process finish; SIGHUP no longer kills it (exit 129).
func TestSignalsEndContext(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(unix.SignalName(sig), func(t *testing.T) {
			c := startHelper(t, "print")
			c.readLine()
			if err := c.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			// Read on until EOF: the helper prints until it sees the end.
			var rest strings.Builder
			_, _ = io.Copy(&rest, c.out)
			code, got := c.wait()
			if got != 0 || code != 0 {
				t.Fatalf("helper after %v: exit %d, signal %v; want exit 0 (stderr: %s)", sig, code, got, c.stderr.String())
			}
			if !strings.HasSuffix(rest.String(), "summary\n") {
				t.Errorf("output after %v does not end with the summary: %q", sig, tail(rest.String()))
			}
			if !strings.Contains(c.stderr.String(), "ended: ") {
				t.Errorf("stderr %q, want the cause of the end", c.stderr.String())
			}
		})
	}
}

// Hooks, exec probes and journalctl are children of sysroll: they must get
// SIGPIPE's default action, not an ignored SIGPIPE (which signal.Ignore
// would hand down through exec).
func TestChildrenKeepDefaultSIGPIPE(t *testing.T) {
	c := startHelper(t, "child")
	out, _ := io.ReadAll(c.out)
	if code, sig := c.wait(); code != 0 || sig != 0 {
		t.Fatalf("helper: exit %d, signal %v (stderr: %s)", code, sig, c.stderr.String())
	}
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(l, "SigIgn:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				t.Fatalf("SigIgn %q: %v", v, err)
			}
			if mask&(1<<(syscall.SIGPIPE-1)) != 0 {
				t.Errorf("a child of the session ignores SIGPIPE (SigIgn %s)", strings.TrimSpace(v))
			}
			return
		}
	}
	t.Fatalf("no SigIgn line in the child's status:\n%s", out)
}

// A terminal is handed to the CLI as the *os.File it is (its live view
// needs one); a pipe is wrapped.
func TestOutputWrapsAllButTerminals(t *testing.T) {
	s := Start(context.Background())
	defer s.Stop()
	pts := openPTY(t)
	if got := s.Output(pts); got != io.Writer(pts) {
		t.Errorf("Output(terminal) = %T, want the *os.File itself", got)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if got, ok := s.Output(w).(*Writer); !ok {
		t.Errorf("Output(pipe) = %T, want *Writer", got)
	}
}

// openPTY opens a pseudo-terminal and returns its terminal end.
func openPTY(t *testing.T) *os.File {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { ptm.Close() })
	if err := unix.IoctlSetPointerInt(int(ptm.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptm.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pts.Close() })
	return pts
}

func tail(s string) string {
	if len(s) > 80 {
		return "…" + s[len(s)-80:]
	}
	return s
}
