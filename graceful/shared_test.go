package graceful

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childEnv marks a re-executed test binary that plays one instance of a
// service started by systemd with a shared socket.
const childEnv = "GRACEFUL_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(childMain())
	}
	os.Exit(m.Run())
}

// childMain is the instance: the default Env (fd 3, os.Getenv, os.Getpid),
// real signals, NOTIFY_SOCKET.
func childMain() int {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "pid %d listen_fds=%q", os.Getpid(), os.Getenv("LISTEN_FDS"))
	})
	srv := &Server{HTTP: &http.Server{Handler: mux}, ListenerName: "web"}
	if err := srv.Run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0
}

// TestSharedSocketHandover plays PID 1 holding one listening socket and
// starting instances on it the way systemd does (fd 3, LISTEN_PID set to the
// instance's own pid). Instances stop and start one by one, and every
// request succeeds, including one sent while no instance is running.
func TestSharedSocketHandover(t *testing.T) {
	sock := newNotifySocket(t, false)
	pid1, f := tcpListener(t) // never accepted on: like systemd's copy
	url := "http://" + pid1.Addr().String() + "/"

	startInstance := func() *exec.Cmd {
		t.Helper()
		// exec keeps the shell's pid, so $$ is the instance's pid, as
		// systemd sets LISTEN_PID after fork.
		cmd := exec.Command("/bin/sh", "-c", `LISTEN_PID=$$ exec "$0"`, os.Args[0])
		cmd.Env = append(os.Environ(), childEnv+"=1", "LISTEN_FDS=1", "LISTEN_FDNAMES=web",
			"NOTIFY_SOCKET="+sock.Addr)
		cmd.ExtraFiles = []*os.File{f}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if cmd.ProcessState == nil {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
			}
		})
		return cmd
	}
	waitReady := func() {
		t.Helper()
		for m := sock.next(t); !hasAssignment(m, MsgReady); m = sock.next(t) {
		}
	}
	stop := func(cmd *exec.Cmd) {
		t.Helper()
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("instance %d: %v", cmd.Process.Pid, err)
		}
	}
	servedBy := func(want *exec.Cmd) {
		t.Helper()
		body, err := get(url)
		if err != nil {
			t.Fatalf("GET: %v", err)
		}
		if w := fmt.Sprintf("pid %d listen_fds=\"\"", want.Process.Pid); body != w {
			t.Fatalf("GET = %q, want %q", body, w)
		}
	}

	a := startInstance()
	waitReady()
	servedBy(a)
	b := startInstance()
	waitReady()
	stop(a) // b keeps the socket's queue
	for range 5 {
		servedBy(b)
	}
	stop(b)

	// Nobody serves now; the connection waits in PID 1's queue.
	pending := make(chan error, 1)
	var body string
	go func() {
		var err error
		body, err = get(url)
		pending <- err
	}()
	time.Sleep(100 * time.Millisecond)
	c := startInstance()
	waitReady()
	if err := <-pending; err != nil {
		t.Fatalf("request sent between instances: %v", err)
	}
	if !strings.HasPrefix(body, fmt.Sprintf("pid %d ", c.Process.Pid)) {
		t.Errorf("queued request answered %q", body)
	}
	stop(c)
}
