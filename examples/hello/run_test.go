package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// These tests run the whole program on real loopback ports from 18100-18199,
// one per test.

// syncBuffer is a bytes.Buffer safe for the logger and the test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// program is a run() in the background.
type program struct {
	base   string // http://127.0.0.1:PORT
	stderr *syncBuffer
	cancel context.CancelFunc
	done   chan int
}

func startProgram(t *testing.T, port int, args ...string) *program {
	t.Helper()
	p := &program{
		base:   fmt.Sprintf("http://127.0.0.1:%d", port),
		stderr: &syncBuffer{},
		done:   make(chan int, 1),
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	args = append([]string{fmt.Sprintf("--port=%d", port)}, args...)
	go func() { p.done <- run(ctx, args, io.Discard, p.stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-p.done:
			p.done <- code
		case <-time.After(10 * time.Second):
			t.Error("run did not return at cleanup")
		}
		if t.Failed() {
			t.Logf("stderr:\n%s", p.stderr.String())
		}
	})
	return p
}

// exit waits for run's exit code.
func (p *program) exit(t *testing.T) int {
	t.Helper()
	select {
	case code := <-p.done:
		p.done <- code
		return code
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return within 10s")
		return -1
	}
}

// get requests path, retrying while the port is not bound yet.
func (p *program) get(t *testing.T, path string) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := client.Get(p.base + path)
		if err == nil {
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", path, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRunPrintVersion(t *testing.T) {
	for _, args := range [][]string{{"-print-version"}, {"version"}, {"--version=1.2.3", "-print-version"}} {
		var out bytes.Buffer
		if code := run(context.Background(), args, &out, io.Discard); code != 0 {
			t.Errorf("%q: exit %d", args, code)
		}
		want := "dev\n"
		if len(args) == 2 {
			want = "1.2.3\n"
		}
		if out.String() != want {
			t.Errorf("%q printed %q, want %q", args, out.String(), want)
		}
	}
}

func TestRunUsageError(t *testing.T) {
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"--port=x"}, io.Discard, &stderr); code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	if code := run(context.Background(), []string{"-h"}, io.Discard, io.Discard); code != exitOK {
		t.Errorf("-h: exit %d, want 0", code)
	}
}

func TestRunServesAndStops(t *testing.T) {
	p := startProgram(t, 18101, "--version=2.0")
	code, body := p.get(t, "/")
	if want := fmt.Sprintf("hello from 2.0 (instance 18101, pid %d)\n", os.Getpid()); code != 200 || body != want {
		t.Errorf("GET / = %d %q, want %q", code, body, want)
	}
	if code, body := p.get(t, "/healthz"); code != 200 || body != "ok" {
		t.Errorf("GET /healthz = %d %q", code, body)
	}
	p.cancel()
	if code := p.exit(t); code != exitOK {
		t.Errorf("exit %d", code)
	}
}

func TestRunInstanceFromEnv(t *testing.T) {
	t.Setenv(envInstance, "blue")
	p := startProgram(t, 18102)
	if _, body := p.get(t, "/"); !strings.Contains(body, "(instance blue, pid") {
		t.Errorf("GET / = %q", body)
	}
}

func TestRunDrainsWork(t *testing.T) {
	p := startProgram(t, 18103)
	p.get(t, "/healthz") // ready
	result := make(chan string, 1)
	go func() {
		resp, err := http.Get(p.base + "/work?ms=500")
		if err != nil {
			result <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		result <- fmt.Sprint(resp.StatusCode, " ", string(b))
	}()
	time.Sleep(100 * time.Millisecond) // the request is in flight
	p.cancel()
	if r := <-result; !strings.HasPrefix(r, "200 worked 500ms") {
		t.Errorf("in-flight /work = %q", r)
	}
	if code := p.exit(t); code != exitOK {
		t.Errorf("exit %d", code)
	}
}

func TestRunStartupDelay(t *testing.T) {
	began := time.Now()
	p := startProgram(t, 18104, "--startup-delay=400ms")
	// The port is bound at once but nothing is accepted before ready: the
	// request waits rather than being refused.
	if code, _ := p.get(t, "/healthz"); code != 200 {
		t.Errorf("GET /healthz = %d", code)
	}
	if took := time.Since(began); took < 400*time.Millisecond {
		t.Errorf("answered after %s, before the 400ms startup delay", took)
	}
}

func TestRunFailAtStart(t *testing.T) {
	t.Setenv(envFailAtStart, "1")
	p := startProgram(t, 18105)
	if code := p.exit(t); code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	if !strings.Contains(p.stderr.String(), "--fail-at-start") {
		t.Errorf("stderr lacks the reason:\n%s", p.stderr.String())
	}
}

func TestRunUnhealthyAfter(t *testing.T) {
	p := startProgram(t, 18106, "--unhealthy-after=300ms")
	if code, _ := p.get(t, "/healthz"); code != 200 {
		t.Errorf("GET /healthz right after start = %d", code)
	}
	time.Sleep(400 * time.Millisecond)
	if code, body := p.get(t, "/healthz"); code != 503 || body != "unhealthy" {
		t.Errorf("GET /healthz after 400ms = %d %q", code, body)
	}
	if code, _ := p.get(t, "/"); code != 200 {
		t.Errorf("GET / while unhealthy = %d", code)
	}
}

func TestRunCrashAfter(t *testing.T) {
	t.Setenv(envCrashAfter, "300ms")
	p := startProgram(t, 18107)
	if code, _ := p.get(t, "/healthz"); code != 200 {
		t.Errorf("GET /healthz = %d", code)
	}
	if code := p.exit(t); code != exitCrash {
		t.Errorf("exit %d, want %d", code, exitCrash)
	}
	if !strings.Contains(p.stderr.String(), "crashing on purpose") {
		t.Errorf("stderr lacks the reason:\n%s", p.stderr.String())
	}
}

func TestRunPortInUse(t *testing.T) {
	p := startProgram(t, 18108)
	p.get(t, "/healthz")
	var stderr syncBuffer
	if code := run(context.Background(), []string{"--port=18108"}, io.Discard, &stderr); code != exitFailure {
		t.Errorf("second instance on the same port: exit %d, want %d", code, exitFailure)
	}
	if !strings.Contains(stderr.String(), "address already in use") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}
