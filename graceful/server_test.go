package graceful

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// harness runs a Server in the background with recorded notifications and
// an injected signal channel.
type harness struct {
	rec    recorder
	sigs   chan os.Signal
	addr   string
	cancel context.CancelFunc
	done   chan error
}

// start runs srv. Unless the test set them, it gets a loopback listener on a
// free port, a recorder as Notifier, and a signal channel.
func start(t *testing.T, srv *Server, opts ...func(*Server)) *harness {
	t.Helper()
	h := &harness{rec: newRecorder(), sigs: make(chan os.Signal, 4), done: make(chan error, 1)}
	if srv.Listener == nil && srv.Addr == "" && srv.Env.Getenv == nil {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv.Listener = ln
	}
	if srv.Listener != nil {
		h.addr = srv.Listener.Addr().String()
	}
	if srv.Notifier == nil {
		srv.Notifier = h.rec
	}
	if srv.Signals == nil {
		srv.Signals = h.sigs
	}
	for _, o := range opts {
		o(srv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return at cleanup")
		}
	})
	return h
}

// withEnvNotifier makes the server notify through its Env (NOTIFY_SOCKET).
func withEnvNotifier(s *Server) { s.Notifier = nil }

// wait returns Run's result.
func (h *harness) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-h.done:
		h.done <- err // for the cleanup
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10s")
		return nil
	}
}

func get(url string) (string, error) {
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func helloHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "hello") })
}

func TestRunLifecycleNotifications(t *testing.T) {
	h := start(t, &Server{HTTP: &http.Server{Handler: helloHandler()}})

	if got := h.rec.next(t); got != "STATUS=starting" {
		t.Errorf("first message %q", got)
	}
	if got, want := h.rec.next(t), "READY=1\nSTATUS=serving on "+h.addr; got != want {
		t.Errorf("ready message %q, want %q", got, want)
	}
	if body, err := get("http://" + h.addr); err != nil || body != "hello" {
		t.Fatalf("GET = %q, %v", body, err)
	}
	h.cancel()
	if err := h.wait(t); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if got := h.rec.next(t); got != "STOPPING=1\nSTATUS=draining" {
		t.Errorf("stop message %q", got)
	}
	if got := h.rec.next(t); got != "STATUS=stopped" {
		t.Errorf("last message %q", got)
	}
}

func TestRunDoesNotAcceptBeforeReady(t *testing.T) {
	release := make(chan struct{})
	h := start(t, &Server{
		HTTP:  &http.Server{Handler: helloHandler()},
		Ready: func(ctx context.Context) error { <-release; return nil },
	})
	h.rec.waitFor(t, "STATUS=starting")

	got := make(chan string, 1)
	go func() {
		body, err := get("http://" + h.addr)
		got <- fmt.Sprint(body, err)
	}()
	select {
	case r := <-got:
		t.Fatalf("answered before ready: %s", r)
	case <-time.After(300 * time.Millisecond):
		// The connection waits in the accept queue: not refused, not served.
	}
	close(release)
	if r := <-got; r != "hello<nil>" {
		t.Errorf("after ready: %s", r)
	}
	h.rec.waitFor(t, MsgReady)
}

func TestRunDrainsInFlightRequests(t *testing.T) {
	entered, finish := make(chan struct{}), make(chan struct{})
	var finishOnce sync.Once
	release := func() { finishOnce.Do(func() { close(finish) }) }
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-finish
		fmt.Fprint(w, "slow done")
	})
	h := start(t, &Server{HTTP: &http.Server{Handler: mux}, ShutdownTimeout: 10 * time.Second})
	t.Cleanup(release) // runs before start's cleanup, which waits for Run
	h.rec.waitFor(t, MsgReady)

	slow := make(chan string, 1)
	go func() {
		body, err := get("http://" + h.addr + "/slow")
		slow <- fmt.Sprint(body, err)
	}()
	<-entered
	h.cancel() // what SIGTERM does
	h.rec.waitFor(t, MsgStopping)

	// New connections are refused once the listener is closed (this is a
	// private listener; a shared one would queue them at PID 1).
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", h.addr, time.Second)
		if errors.Is(err, syscall.ECONNREFUSED) {
			break
		}
		// A connection still queued when the listener closes is reset:
		// the other reason to use a shared socket, whose queue outlives us.
		if err != nil && !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("dial during drain: %v, want connection refused", err)
		}
		if c != nil {
			_ = c.Close()
		}
		if time.Now().After(deadline) {
			t.Fatal("still accepting 5s after stop")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-h.done:
		t.Fatalf("Run returned %v with a request in flight", err)
	default:
	}

	release()
	if r := <-slow; r != "slow done<nil>" {
		t.Errorf("in-flight request: %s", r)
	}
	if err := h.wait(t); err != nil {
		t.Errorf("Run = %v", err)
	}
}

func TestRunShutdownDeadline(t *testing.T) {
	entered := make(chan struct{})
	stuck := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done() // until the connection is closed
	})
	h := start(t, &Server{HTTP: &http.Server{Handler: stuck}, ShutdownTimeout: 200 * time.Millisecond})
	h.rec.waitFor(t, MsgReady)

	failed := make(chan error, 1)
	go func() { _, err := get("http://" + h.addr); failed <- err }()
	<-entered
	began := time.Now()
	h.cancel()
	err := h.wait(t)
	if !errors.Is(err, ErrShutdownTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run = %v, want ErrShutdownTimeout and DeadlineExceeded", err)
	}
	if took := time.Since(began); took < 200*time.Millisecond || took > 3*time.Second {
		t.Errorf("Run returned %s after stop, want about 200ms", took)
	}
	if err := <-failed; err == nil {
		t.Error("cut request succeeded")
	}
	h.rec.waitFor(t, "STATUS=stopped, in-flight requests cut")
}

func TestRunSecondSignalForcesClose(t *testing.T) {
	entered := make(chan struct{})
	stuck := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done()
	})
	h := start(t, &Server{HTTP: &http.Server{Handler: stuck}, ShutdownTimeout: time.Minute})
	h.rec.waitFor(t, MsgReady)
	go func() { _, _ = get("http://" + h.addr) }()
	<-entered

	h.sigs <- syscall.SIGTERM
	h.rec.waitFor(t, MsgStopping)
	h.sigs <- syscall.SIGHUP // ignored while stopping
	h.sigs <- syscall.SIGINT
	if err := h.wait(t); !errors.Is(err, ErrShutdownTimeout) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want ErrShutdownTimeout after a second signal", err)
	}
}

func TestRunReload(t *testing.T) {
	calls := 0
	h := start(t, &Server{
		HTTP: &http.Server{Handler: helloHandler()},
		Reload: func(ctx context.Context) error {
			calls++
			if calls == 2 {
				return errors.New("bad config")
			}
			return nil
		},
	})
	h.rec.waitFor(t, MsgReady)

	h.sigs <- syscall.SIGHUP
	m := h.rec.next(t)
	if !hasAssignment(m, MsgReloading) || !strings.Contains(m, "\nMONOTONIC_USEC=") || !hasAssignment(m, "STATUS=reloading") {
		t.Errorf("reloading message %q", m)
	}
	if got, want := h.rec.next(t), "READY=1\nSTATUS=serving on "+h.addr; got != want {
		t.Errorf("after reload %q, want %q", got, want)
	}

	h.sigs <- syscall.SIGHUP
	h.rec.waitFor(t, MsgReloading)
	if got := h.rec.next(t); !hasAssignment(got, MsgReady) || !strings.Contains(got, "reload failed") || !strings.Contains(got, "bad config") {
		t.Errorf("after failed reload %q", got)
	}
	// Still serving.
	if body, err := get("http://" + h.addr); err != nil || body != "hello" {
		t.Errorf("GET after failed reload = %q, %v", body, err)
	}
	h.sigs <- syscall.SIGTERM
	if err := h.wait(t); err != nil {
		t.Errorf("Run = %v", err)
	}
}

func TestRunReadyFails(t *testing.T) {
	h := start(t, &Server{
		HTTP:  &http.Server{Handler: helloHandler()},
		Ready: func(ctx context.Context) error { return errors.New("no database") },
	})
	err := h.wait(t)
	if err == nil || !strings.Contains(err.Error(), "not ready: no database") {
		t.Fatalf("Run = %v", err)
	}
	for {
		select {
		case m := <-h.rec:
			if hasAssignment(m, MsgReady) {
				t.Fatalf("sent %q after Ready failed", m)
			}
			continue
		default:
		}
		break
	}
	if c, err := net.Dial("tcp", h.addr); err == nil {
		c.Close()
		t.Error("listener still open after Ready failed")
	}
}

func TestRunStopDuringWarmUp(t *testing.T) {
	h := start(t, &Server{
		HTTP:  &http.Server{Handler: helloHandler()},
		Ready: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() },
	})
	h.rec.waitFor(t, "STATUS=starting")
	h.sigs <- syscall.SIGHUP // remembered, not acted on before ready
	h.sigs <- syscall.SIGTERM
	if err := h.wait(t); err != nil {
		t.Fatalf("Run = %v, want nil for a stop before ready", err)
	}
	if m := h.rec.next(t); m != "STOPPING=1\nSTATUS=stopped before ready" {
		t.Errorf("message %q", m)
	}
}

func TestRunServeFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := start(t, &Server{HTTP: &http.Server{Handler: helloHandler()}, Listener: ln})
	h.rec.waitFor(t, MsgReady)
	_ = ln.Close() // Serve fails: nobody asked to stop
	if err := h.wait(t); err == nil || !strings.Contains(err.Error(), "serve "+h.addr) {
		t.Fatalf("Run = %v, want a serve error", err)
	}
	h.rec.waitFor(t, MsgStopping)
}

func TestRunConfigErrors(t *testing.T) {
	for name, srv := range map[string]*Server{
		"no server":    {},
		"both servers": {HTTP: &http.Server{}, Service: &http.Server{}},
		"no address":   {HTTP: &http.Server{}, Env: newFakeEnv().env(0)},
	} {
		if err := srv.Run(context.Background()); err == nil {
			t.Errorf("%s: Run succeeded", name)
		}
	}
}
