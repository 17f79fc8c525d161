package drain

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestNetwork(t *testing.T) {
	tests := []struct{ addr, network, want string }{
		{"/run/haproxy/admin.sock", "unix", "/run/haproxy/admin.sock"},
		{"admin.sock", "unix", "admin.sock"},
		{"unix@/run/haproxy/admin.sock", "unix", "/run/haproxy/admin.sock"},
		{"127.0.0.1:9999", "tcp", "127.0.0.1:9999"},
		{"[::1]:9999", "tcp", "[::1]:9999"},
		{"ipv4@127.0.0.1:9999", "tcp4", "127.0.0.1:9999"},
		{"ipv6@[::1]:9999", "tcp6", "[::1]:9999"},
	}
	for _, tt := range tests {
		network, addr := runtimeAPI{addr: tt.addr}.network()
		if network != tt.network || addr != tt.want {
			t.Errorf("network(%q) = %s %s, want %s %s", tt.addr, network, addr, tt.network, tt.want)
		}
	}
}

func TestCommandInjectionRefused(t *testing.T) {
	f := startFakeAPI(t, func(string) string { return "\n" })
	for _, cmd := range []string{"set server a/b state ready\nshutdown sessions", "show stat; disable frontend fe"} {
		if err := (runtimeAPI{addr: f.path}).set(t.Context(), cmd); err == nil {
			t.Errorf("set(%q) went through", cmd)
		}
	}
	if c := f.commands(); len(c) != 0 {
		t.Errorf("sent %q", c)
	}
}

func TestDialErrorHints(t *testing.T) {
	opErr := func(errno syscall.Errno) error {
		return &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("connect", errno)}
	}
	tests := []struct {
		err  error
		want string
	}{
		{opErr(syscall.ENOENT), "no such socket: is haproxy running"},
		{opErr(syscall.EACCES), "permission denied: run sysroll as root, or as a member of the socket's group"},
		{opErr(syscall.ECONNREFUSED), "connection refused: nothing listens there"},
		{opErr(syscall.ENOTSOCK), "not a socket"},
		{errors.New("other"), "haproxy admin socket /s: other"},
	}
	for _, tt := range tests {
		err := dialError("/s", tt.err)
		if !strings.Contains(err.Error(), tt.want) || !errors.Is(err, tt.err) {
			t.Errorf("dialError(%v) = %v, want it to contain %q and wrap the cause", tt.err, err, tt.want)
		}
	}
}

func TestStaleSocket(t *testing.T) {
	dir, err := os.MkdirTemp("", "hx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	path := dir + "/admin.sock"
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false) // what a killed haproxy leaves behind
	_ = ln.Close()
	_, err = runtimeAPI{addr: path}.do(t.Context(), "show cli level")
	if !errors.Is(err, syscall.ECONNREFUSED) || !strings.Contains(err.Error(), "stale socket file") {
		t.Errorf("err = %v, want ECONNREFUSED with a hint", err)
	}
}

func TestSilentSocketEndsWithCtx(t *testing.T) {
	dir, err := os.MkdirTemp("", "hx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	ln, err := net.Listen("unix", dir+"/admin.sock")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		// Accepts and never answers, like a stuck process.
		c, err := ln.Accept()
		if err == nil {
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = runtimeAPI{addr: dir + "/admin.sock"}.do(ctx, "show cli level")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s", d)
	}
}

func TestSetReportsAnyText(t *testing.T) {
	tests := []struct{ reply, want string }{
		{"\n", ""},
		{"", ""},
		{"No such server.\n\n", "No such server."},
		{"'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n", "expects 'ready'"},
		{"[3]: Require 'backend/server'.\n\n", `state ready": Require 'backend/server'.`},
	}
	for _, tt := range tests {
		f := startFakeAPI(t, func(string) string { return tt.reply })
		err := runtimeAPI{addr: f.path}.set(t.Context(), "set server a/b state ready")
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("reply %q: err = %v, want %q", tt.reply, err, tt.want)
		}
	}
}
