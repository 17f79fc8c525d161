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

func TestRunBadMetricKnob(t *testing.T) {
	for _, tt := range []struct {
		env, value, want string
	}{
		{envErrorRate, "lots", `HELLO_ERROR_RATE="lots"`},
		{envLatency, "-5ms", `HELLO_LATENCY="-5ms"`},
		{envLogErrors, "5/min", `HELLO_LOG_ERRORS="5/min"`},
	} {
		t.Run(tt.env, func(t *testing.T) {
			t.Setenv(tt.env, tt.value)
			var stderr bytes.Buffer
			if code := run(context.Background(), []string{"--port=18119"}, io.Discard, &stderr); code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if !strings.HasPrefix(stderr.String(), "hello: "+tt.want) {
				t.Errorf("stderr %q, want the variable named", stderr.String())
			}
		})
	}
}

// The real server: an error rate answered exactly, counted in /metrics,
// with /healthz still 200.
func TestRunErrorRateAndMetrics(t *testing.T) {
	p := startProgram(t, 18110, "--error-rate=0.25")
	if code, _ := p.get(t, "/healthz"); code != 200 {
		t.Fatalf("GET /healthz = %d", code)
	}
	var codes []int
	for range 20 {
		code, _ := p.get(t, "/work?ms=0")
		codes = append(codes, code)
	}
	if want := []int{200, 200, 200, 500}; fmt.Sprint(codes[:4]) != fmt.Sprint(want) {
		t.Errorf("first codes %v, want %v", codes[:4], want)
	}
	if code, _ := p.get(t, "/healthz"); code != 200 {
		t.Errorf("GET /healthz = %d with --error-rate", code)
	}
	code, body := p.get(t, "/metrics")
	if code != 200 {
		t.Fatalf("GET /metrics = %d", code)
	}
	mfs := parseMetrics(t, body)
	if got, want := requestsByCode(t, mfs), map[string]float64{"200": 15, "500": 5}; !equalCounts(got, want) {
		t.Errorf("hello_requests_total = %v, want %v", got, want)
	}
	if mfs["process_start_time_seconds"] == nil {
		t.Error("/metrics lacks process_start_time_seconds")
	}
}

// --latency on the real clock: at least the added latency, within bounds.
func TestRunLatency(t *testing.T) {
	p := startProgram(t, 18111, "--latency=300ms")
	p.get(t, "/healthz") // ready
	began := time.Now()
	if code, _ := p.get(t, "/work?ms=0"); code != 200 {
		t.Fatalf("GET /work = %d", code)
	}
	if took := time.Since(began); took < 300*time.Millisecond || took > 5*time.Second {
		t.Errorf("GET /work took %s, want 300ms added", took)
	}
}

// --log-errors N/s on the real clock: <3> lines from ready until stopped,
// whole lines even beside the logger's own.
func TestRunLogErrorsPerSecond(t *testing.T) {
	began := time.Now()
	p := startProgram(t, 18112, "--log-errors=20/s")
	p.get(t, "/healthz") // ready
	time.Sleep(500 * time.Millisecond)
	p.cancel()
	if code := p.exit(t); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	elapsed := time.Since(began)
	var n int
	for _, line := range strings.Split(p.stderr.String(), "\n") {
		switch {
		case strings.HasPrefix(line, "<3>"):
			n++
			if !strings.HasPrefix(line, "<3>error on purpose #") || !strings.HasSuffix(line, ": --log-errors 20/s") {
				t.Errorf("line %q", line)
			}
		case strings.Contains(line, "<3>"):
			t.Errorf("a <3> line not at the start of a line: %q", line)
		}
	}
	// 20/s for at least 500ms after ready, at most the whole run.
	if maxN := int(elapsed.Seconds()*20) + 1; n < 8 || n > maxN {
		t.Errorf("%d lines in %s, want 8 to %d", n, elapsed, maxN)
	}
	time.Sleep(200 * time.Millisecond)
	if after := strings.Count(p.stderr.String(), "<3>"); after != n {
		t.Errorf("%d more lines after run returned", after-n)
	}
}
