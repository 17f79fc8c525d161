package sshx

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// runServer is a known host "web1" and a Pool for it.
func runServer(t *testing.T) (*testServer, *Pool) {
	t.Helper()
	c := newTestClient(t)
	ts := newTestServer(t, c.signer.PublicKey())
	kh := writeKnownHosts(t, khLine(ts.addr, ts.hostPub[0]))
	return ts, c.pool(t, mapResolver{"web1": ts.target("web1", kh)})
}

func TestRunExitStdoutStderr(t *testing.T) {
	ts, p := runServer(t)
	tests := []struct {
		name      string
		argv      []string
		stdin     string
		out, errs string
		code      int
	}{
		{"ok", []string{"echo", "hello"}, "", "hello\n", "", 0},
		{"exit code", []string{"sh", "-c", "echo out; echo err >&2; exit 3"}, "", "out\n", "err\n", 3},
		{"exit 255", []string{"sh", "-c", "exit 255"}, "", "", "", 255},
		{"stdin", []string{"tr", "a-z", "A-Z"}, "piped\n", "PIPED\n", "", 0},
		{"not found", []string{"no-such-command-sysroll"}, "", "", "", 127},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdin *strings.Reader
			if tt.stdin != "" {
				stdin = strings.NewReader(tt.stdin)
			}
			var out, errs []byte
			var code int
			var err error
			if stdin != nil {
				out, errs, code, err = p.Run(context.Background(), "web1", tt.argv, stdin)
			} else {
				out, errs, code, err = p.Run(context.Background(), "web1", tt.argv, nil)
			}
			if err != nil {
				t.Fatal(err)
			}
			if code != tt.code || string(out) != tt.out || (tt.name != "not found" && string(errs) != tt.errs) {
				t.Errorf("got code %d out %q err %q, want %d %q %q", code, out, errs, tt.code, tt.out, tt.errs)
			}
		})
	}
	if n := ts.conns.Load(); n != 1 {
		t.Errorf("%d connections for %d commands, want 1 (reused)", n, len(tests))
	}
}

// Hostile arguments reach the remote command byte for byte and nothing in
// them is executed by the remote shell.
func TestRunQuotesHostileArgs(t *testing.T) {
	ts, p := runServer(t)
	hostile := []string{
		"a b", "", "'", `"`, `\`, "$(touch pwned1)", "`touch pwned2`", "; touch pwned3", "&& touch pwned4",
		"| touch pwned5", "*", "~", "#x", "$HOME", "${IFS}", "x=1", "line1\nline2", "\t", "-n", "don't",
		"'$(touch pwned6)'", "é ü", "> pwned7",
	}
	argv := append([]string{"printf", "[%s]\\n"}, hostile...)
	out, errs, code, err := p.Run(context.Background(), "web1", argv, nil)
	if err != nil || code != 0 {
		t.Fatalf("code %d err %v stderr %q", code, err, errs)
	}
	var want bytes.Buffer
	for _, a := range hostile {
		want.WriteString("[" + a + "]\n")
	}
	if string(out) != want.String() {
		t.Errorf("remote saw\n%s\nwant\n%s", out, want.String())
	}
	entries, _ := os.ReadDir(ts.dir)
	for _, e := range entries {
		t.Errorf("remote shell created %s", filepath.Join(ts.dir, e.Name()))
	}
	if _, _, _, err := p.Run(context.Background(), "web1", []string{"echo", "a\x00b"}, nil); err == nil {
		t.Error("a NUL byte in an argument was accepted")
	}
}

func TestRunCancelClosesSession(t *testing.T) {
	ts, p := runServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, _, err := p.Run(ctx, "web1", []string{"sleep", "30"}, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Run returned after %v", d)
	}
	select {
	case cmd := <-ts.ended:
		if cmd != "sleep 30" {
			t.Errorf("ended %q", cmd)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("remote session still running after cancel")
	}
	// The connection survives a cancelled command.
	mustRunOK(t, p, "web1")
}

// lineWriter cancels after n lines, like a follower that has seen enough.
type lineWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	n      int
	cancel context.CancelFunc
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(b)
	if bytes.Count(w.buf.Bytes(), []byte("\n")) >= w.n {
		w.cancel()
	}
	return len(b), nil
}

func TestStreamFollowsOutput(t *testing.T) {
	ts, p := runServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w := &lineWriter{n: 3, cancel: cancel}
	// An endless writer, as `tail -f` on an events file is.
	script := "i=0; while :; do echo line$i; i=$((i+1)); sleep 0.05; done"
	start := time.Now()
	_, err := p.Stream(ctx, "web1", []string{"sh", "-c", script}, nil, w, &bytes.Buffer{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v: output was not streamed", d)
	}
	w.mu.Lock()
	got := w.buf.String()
	w.mu.Unlock()
	if !strings.HasPrefix(got, "line0\nline1\nline2\n") {
		t.Errorf("streamed %q", got)
	}
	select {
	case <-ts.ended:
	case <-time.After(5 * time.Second):
		t.Fatal("remote follower still running after cancel")
	}
}
