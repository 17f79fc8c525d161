//go:build integration

package drain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Ports 18290-18299 belong to these tests.
const (
	itFrontend = "127.0.0.1:18290"
	itS1       = "127.0.0.1:18291"
	itS2       = "127.0.0.1:18292"
	slowFor    = 1500 * time.Millisecond
)

// itConfig: checks every 100ms, one failure or success flips the state;
// no retries and no redispatch, so a request sent to a server that is not
// there fails instead of being quietly moved. /slow is pinned to s1 so the
// test knows where its in-flight request is.
const itConfig = `global
    stats socket %[1]s/admin.sock mode 600 level admin
    stats socket %[1]s/user.sock mode 600 level user
defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
    retries 0
    no option redispatch
frontend fe
    bind ` + itFrontend + `
    default_backend hello
backend hello
    balance roundrobin
    option httpchk GET /healthz
    use-server s1 if { path_beg /slow }
    server s1 ` + itS1 + ` check inter 100ms fall 1 rise 1
    server s2 ` + itS2 + ` check inter 100ms fall 1 rise 1
`

// itEnv is a running haproxy with two app servers behind it.
type itEnv struct {
	dir  string
	h    *HAProxy
	apps map[string]*itApp
}

// startHAProxy runs `haproxy -f cfg -db` (foreground) and both apps.
func startHAProxy(t *testing.T) *itEnv {
	t.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Fatalf("haproxy not installed (scripts/deps.sh installs it): %v", err)
	}
	dir, err := os.MkdirTemp("", "hxit") // short: unix socket path limit
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, itConfig, dir), 0o600); err != nil {
		t.Fatal(err)
	}
	e := &itEnv{dir: dir, apps: map[string]*itApp{}}
	e.apps["s1"] = startApp(t, "s1", itS1)
	e.apps["s2"] = startApp(t, "s2", itS2)

	var logs bytes.Buffer
	cmd := exec.Command(bin, "-f", cfg, "-db")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // our child, by PID
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("haproxy output:\n%s", logs.String())
		}
	})
	e.h = &HAProxy{Socket: filepath.Join(dir, "admin.sock"), Backend: "hello", Server: "s{instance}",
		PollInterval: 20 * time.Millisecond, UpTimeout: 5 * time.Second}
	// Ready when both servers passed a check.
	deadline := time.Now().Add(5 * time.Second)
	for {
		stats, err := e.h.Servers(t.Context())
		if err == nil && len(stats) == 2 && stats[0].Status == StatusUp && stats[1].Status == StatusUp {
			return e
		}
		if time.Now().After(deadline) {
			t.Fatalf("haproxy not ready: %v %v\n%s", stats, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *itEnv) status(t *testing.T, server string) ServerStat {
	t.Helper()
	stats, err := e.h.Servers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	s, ok := find(stats, server)
	if !ok {
		t.Fatalf("no server %s in %v", server, stats)
	}
	return s
}

// itApp is one backend server: answers its name, /slow after slowFor.
type itApp struct {
	name, addr string
	mu         sync.Mutex
	srv        *http.Server
	slowDone   time.Time
}

func startApp(t *testing.T, name, addr string) *itApp {
	a := &itApp{name: name, addr: addr}
	a.start(t)
	t.Cleanup(a.stop)
	return a
}

func (a *itApp) start(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", a.addr)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(slowFor)
		_, _ = io.WriteString(w, a.name)
		a.mu.Lock()
		a.slowDone = time.Now()
		a.mu.Unlock()
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, a.name) })
	srv := &http.Server{Handler: mux}
	a.mu.Lock()
	a.srv = srv
	a.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

func (a *itApp) stop() {
	a.mu.Lock()
	srv := a.srv
	a.srv = nil
	a.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

func (a *itApp) slowFinished() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.slowDone
}

func get(ctx context.Context, path string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+itFrontend+path, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s %s", path, resp.Status, b)
	}
	return string(b), err
}

// (a) Drain returns only after the in-flight request finished; new
// requests go to the other server meanwhile.
func TestIntegrationDrainWaitsForInFlight(t *testing.T) {
	e := startHAProxy(t)
	ctx := t.Context()
	slow := make(chan error, 1)
	go func() {
		body, err := get(ctx, "/slow")
		if err == nil && body != "s1" {
			err = fmt.Errorf("slow request answered by %q", body)
		}
		slow <- err
	}()
	for e.status(t, "s1").Sessions == 0 {
		time.Sleep(10 * time.Millisecond)
	}

	start := time.Now()
	drained := make(chan error, 1)
	go func() { drained <- e.h.Drain(ctx, "1") }()
	// Requests count from the moment HAProxy shows the drain.
	for e.status(t, "s1").Status != StatusDrain {
		time.Sleep(5 * time.Millisecond)
	}
	var served []string
	for done := false; !done; {
		select {
		case err := <-drained:
			if err != nil {
				t.Fatalf("Drain: %v", err)
			}
			done = true
		default:
			body, err := get(ctx, "/")
			if err != nil {
				t.Fatalf("request while draining: %v", err)
			}
			served = append(served, body)
			time.Sleep(20 * time.Millisecond)
		}
	}
	took := time.Since(start)
	finished := e.apps["s1"].slowFinished()
	if finished.IsZero() || time.Now().Before(finished) {
		t.Errorf("Drain returned before the slow request finished on s1")
	}
	if took < slowFor/2 {
		t.Errorf("Drain took %s; the slow request had ~%s left", took, slowFor)
	}
	if err := <-slow; err != nil {
		t.Errorf("slow request: %v", err)
	}
	if s := e.status(t, "s1"); s.Sessions != 0 || s.Status != StatusDrain {
		t.Errorf("s1 after Drain: %+v", s)
	}
	if len(served) == 0 {
		t.Fatal("no request sent while draining")
	}
	for _, s := range served {
		if s != "s2" {
			t.Fatalf("while s1 drained, requests were served by %q (want only s2)", served)
		}
	}
	t.Logf("Drain took %s; %d requests meanwhile, all on s2", took.Round(time.Millisecond), len(served))
	// Idempotent, and quick with nothing in flight.
	if err := e.h.Drain(ctx, "1"); err != nil {
		t.Errorf("second Drain: %v", err)
	}
}

// (a') A drain that outlives DrainTimeout says so with ErrDrainTimeout.
func TestIntegrationDrainTimeout(t *testing.T) {
	e := startHAProxy(t)
	go func() { _, _ = get(t.Context(), "/slow") }()
	for e.status(t, "s1").Sessions == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	e.h.DrainTimeout = 200 * time.Millisecond
	err := e.h.Drain(t.Context(), "1")
	if !errors.Is(err, ErrDrainTimeout) || !strings.Contains(err.Error(), "(1 session, 0 queued)") {
		t.Fatalf("Drain error = %v, want ErrDrainTimeout with 1 session", err)
	}
	t.Log(err)
}

// (b) Undrain waits until HAProxy's own checks report the server UP.
func TestIntegrationUndrainWaitsForUp(t *testing.T) {
	e := startHAProxy(t)
	ctx := t.Context()
	if err := e.h.Drain(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	app := e.apps["s1"]
	app.stop()
	for e.status(t, "s1").Status != StatusDown {
		time.Sleep(20 * time.Millisecond)
	}
	e.h.UpTimeout = 400 * time.Millisecond
	err := e.h.Undrain(ctx, "1")
	if !errors.Is(err, ErrNotUp) || !strings.Contains(err.Error(), `status "DOWN"`) {
		t.Fatalf("Undrain with s1 stopped = %v, want ErrNotUp with status DOWN", err)
	}
	t.Log(err)

	// Back, and down again in HAProxy's eyes: drain it, so ready is the
	// step that must wait.
	if err := e.h.Drain(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	app.start(t)
	before := e.status(t, "s1").Status
	e.h.UpTimeout = 5 * time.Second
	start := time.Now()
	if err := e.h.Undrain(ctx, "1"); err != nil {
		t.Fatalf("Undrain with s1 back: %v", err)
	}
	if s := e.status(t, "s1"); s.Status != StatusUp {
		t.Errorf("after Undrain s1 is %q, want UP", s.Status)
	}
	t.Logf("s1's app listening again, HAProxy said %q; Undrain returned after %s, s1 UP", before, time.Since(start).Round(time.Millisecond))
}

// (c) Check fails before anything is touched, with what to fix.
func TestIntegrationCheck(t *testing.T) {
	e := startHAProxy(t)
	ctx := t.Context()
	if err := e.h.Check(ctx, []string{"1", "2"}); err != nil {
		t.Fatalf("Check of a good setup: %v", err)
	}
	tests := []struct {
		name    string
		h       HAProxy
		want    string
		instVal []string
	}{
		{"wrong socket", HAProxy{Socket: e.dir + "/nope.sock", Backend: "hello"},
			"haproxy admin socket " + e.dir + "/nope.sock: no such socket: is haproxy running", []string{"1"}},
		{"user level socket", HAProxy{Socket: e.dir + "/user.sock", Backend: "hello"},
			"has level user: sysroll sets server state, which needs `stats socket", []string{"1"}},
		{"wrong backend", HAProxy{Socket: e.h.Socket, Backend: "helo"},
			`has no backend "helo" (backends: hello)`, []string{"1"}},
		{"wrong server", HAProxy{Socket: e.h.Socket, Backend: "hello", Server: "s{instance}"},
			"backend hello has no server s3 (servers: s1, s2)", []string{"1", "3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.h.Check(ctx, tt.instVal)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Check error = %v, want it to contain %q", err, tt.want)
			}
			t.Log(err)
		})
	}
	for _, s := range []string{"s1", "s2"} {
		if st := e.status(t, s).Status; st != StatusUp {
			t.Errorf("after the failed checks %s is %q, want UP (untouched)", s, st)
		}
	}
	// A Drain of a server that does not exist is refused by HAProxy itself.
	err := e.h.Drain(ctx, "3")
	if _, ok := errors.AsType[*CommandError](err); !ok || !strings.Contains(err.Error(), "No such server.") {
		t.Errorf("Drain of s3 = %v, want HAProxy's No such server.", err)
	}
}
