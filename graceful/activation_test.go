package graceful

import (
	"context"
	"net"
	"net/http"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestRunWithSystemdEnvironment feeds Run what systemd gives a Type=notify
// service with a socket and a watchdog: an inherited fd, NOTIFY_SOCKET and
// WATCHDOG_USEC, and reads the notifications from a real datagram socket.
func TestRunWithSystemdEnvironment(t *testing.T) {
	sock := newNotifySocket(t, true)
	pid1Copy, f := tcpListener(t)
	fe := newFakeEnv(
		"LISTEN_PID", fakePid, "LISTEN_FDS", "1", "LISTEN_FDNAMES", "hello.socket",
		"NOTIFY_SOCKET", sock.Addr,
		"WATCHDOG_USEC", "100000", "WATCHDOG_PID", fakePid,
	)
	addr := pid1Copy.Addr().String()
	srv := &Server{
		HTTP:         &http.Server{Handler: helloHandler()},
		Addr:         "127.0.0.1:1", // ignored: a socket is inherited
		ListenerName: "hello.socket",
		Env:          fe.env(passFDs(t, f)),
	}
	h := start(t, srv, withEnvNotifier)

	var ready, pings int
	deadline := time.After(5 * time.Second)
	for ready == 0 || pings < 3 {
		select {
		case m := <-sock.msgs:
			switch {
			case m == MsgWatchdog:
				pings++
			case hasAssignment(m, MsgReady):
				ready++
				if want := "READY=1\nSTATUS=serving on " + addr; m != want {
					t.Errorf("ready message %q, want %q", m, want)
				}
			}
		case <-deadline:
			t.Fatalf("after 5s: %d READY, %d watchdog pings", ready, pings)
		}
	}
	if fe.Getenv("LISTEN_FDS") != "" || fe.Getenv("LISTEN_PID") != "" {
		t.Error("activation variables left set for children")
	}
	if body, err := get("http://" + addr); err != nil || body != "hello" {
		t.Fatalf("GET via inherited socket = %q, %v", body, err)
	}

	h.cancel()
	if err := h.wait(t); err != nil {
		t.Fatalf("Run = %v", err)
	}
	// The socket survives in "PID 1": connections still complete.
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("shared socket closed by the instance: %v", err)
	}
	_ = c.Close()
}

// TestRunRealSignals lets Run install its own handlers and signals this
// process. READY=1 is sent after the handlers are in place, so a signal sent
// after it never hits the default (fatal) action.
func TestRunRealSignals(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	reloaded := make(chan struct{}, 1)
	srv := &Server{
		HTTP:     &http.Server{Handler: helloHandler()},
		Listener: ln,
		Notifier: rec,
		Reload:   func(context.Context) error { reloaded <- struct{}{}; return nil },
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(context.Background()) }()
	rec.waitFor(t, MsgReady)

	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reloaded:
	case <-time.After(5 * time.Second):
		t.Fatal("SIGHUP did not reload")
	}
	rec.waitFor(t, MsgReady)
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("SIGTERM did not stop Run")
	}
}

func TestEnvPidDefault(t *testing.T) {
	if got := (Env{}).pid(); got != os.Getpid() {
		t.Errorf("pid = %d", got)
	}
	if got := (Env{}).firstFD(); got != 3 {
		t.Errorf("first fd = %d", got)
	}
	t.Setenv("GRACEFUL_TEST_VAR", strconv.Itoa(7))
	if got := (Env{}).getenv("GRACEFUL_TEST_VAR"); got != "7" {
		t.Errorf("getenv = %q", got)
	}
}
