package graceful

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fakeEnv is an environment map with Getenv/Unsetenv for Env.
type fakeEnv struct {
	mu    sync.Mutex
	vars  map[string]string
	unset []string
}

func newFakeEnv(kv ...string) *fakeEnv {
	e := &fakeEnv{vars: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		e.vars[kv[i]] = kv[i+1]
	}
	return e
}

func (e *fakeEnv) Getenv(k string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.vars[k]
}

func (e *fakeEnv) Unsetenv(k string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.vars, k)
	e.unset = append(e.unset, k)
	return nil
}

// env returns an Env reading e, with pid 4242 and descriptors from firstFD.
func (e *fakeEnv) env(firstFD int) Env {
	return Env{Getenv: e.Getenv, Unsetenv: e.Unsetenv, Pid: 4242, FirstFD: firstFD}
}

const fakePid = "4242"

// isFree reports whether fd is not open in this process.
func isFree(fd int) bool {
	var st syscall.Stat_t
	return errors.Is(syscall.Fstat(fd, &st), syscall.EBADF)
}

// passFDs duplicates files onto consecutive free descriptors, as systemd
// would place them from fd 3, and returns the first. The originals stay
// open: they play the part of PID 1's copies.
func passFDs(t *testing.T, files ...*os.File) int {
	t.Helper()
	base := 400
	for ; base < 1000; base++ {
		free := true
		for i := range files {
			free = free && isFree(base+i)
		}
		if free {
			break
		}
	}
	for i, f := range files {
		if err := syscall.Dup3(int(f.Fd()), base+i, syscall.O_CLOEXEC); err != nil {
			t.Fatalf("dup3 to %d: %v", base+i, err)
		}
		fd := base + i
		var orig syscall.Stat_t
		if err := syscall.Fstat(int(f.Fd()), &orig); err != nil {
			t.Fatal(err)
		}
		// Close the copy unless the code under test already did; check the
		// inode so a descriptor number reused by someone else is left alone.
		t.Cleanup(func() {
			var st syscall.Stat_t
			if syscall.Fstat(fd, &st) == nil && st.Dev == orig.Dev && st.Ino == orig.Ino {
				_ = syscall.Close(fd)
			}
		})
	}
	return base
}

// tcpListener listens on a free loopback port and returns it with its file.
func tcpListener(t *testing.T) (*net.TCPListener, *os.File) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return ln.(*net.TCPListener), f
}

// notifySocket is a unixgram socket standing in for systemd's notify socket.
type notifySocket struct {
	Addr string
	conn *net.UnixConn
	msgs chan string
}

// newNotifySocket listens on a socket in a short temp dir (socket paths are
// limited to 108 bytes), or in the abstract namespace when addr starts with
// '@'.
func newNotifySocket(t *testing.T, abstract bool) *notifySocket {
	t.Helper()
	var addr string
	if abstract {
		addr = "@graceful-test-" + strings.ReplaceAll(t.Name(), "/", "-") + "-" + time.Now().Format("150405.000000000")
	} else {
		dir, err := os.MkdirTemp("", "gn")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.RemoveAll(dir) })
		addr = filepath.Join(dir, "notify")
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	s := &notifySocket{Addr: addr, conn: conn, msgs: make(chan string, 256)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			s.msgs <- string(buf[:n])
		}
	}()
	t.Cleanup(func() { _ = conn.Close(); <-done })
	return s
}

// next returns the next message, failing the test after a timeout.
func (s *notifySocket) next(t *testing.T) string {
	t.Helper()
	return nextMsg(t, s.msgs)
}

// recorder is a Notifier that keeps every message on a channel.
type recorder chan string

func newRecorder() recorder { return make(recorder, 256) }

func (r recorder) Notify(state string) error { r <- state; return nil }

func (r recorder) next(t *testing.T) string {
	t.Helper()
	return nextMsg(t, r)
}

// waitFor skips messages until one contains want, and returns it.
func (r recorder) waitFor(t *testing.T, want string) string {
	t.Helper()
	for {
		if m := r.next(t); strings.Contains(m, want) {
			return m
		}
	}
}

func nextMsg(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no notify message within 5s")
		return ""
	}
}

// hasAssignment reports whether msg holds the line want.
func hasAssignment(msg, want string) bool {
	for _, l := range strings.Split(msg, "\n") {
		if l == want {
			return true
		}
	}
	return false
}
