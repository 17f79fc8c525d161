package systemd_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/systemd"
)

// On a machine not booted with systemd (these test machines, most CI
// containers) Connect says so at once instead of hanging or crashing.
func TestConnectNoSystemd(t *testing.T) {
	if _, err := os.Stat("/run/systemd/system"); err == nil {
		t.Skip("this machine runs systemd; the no-systemd case cannot be shown here")
	}
	for _, scope := range []systemd.Scope{systemd.System, systemd.User} {
		m, err := systemd.Connect(t.Context(), systemd.Options{Scope: scope})
		if err == nil {
			m.Close()
			t.Fatalf("scope %d: Connect succeeded without systemd", scope)
		}
		if !errors.Is(err, systemd.ErrNoSystemd) {
			t.Errorf("scope %d: err = %v, want it to wrap ErrNoSystemd", scope, err)
		}
	}
}

// A wrong address, or a socket nobody answers on, fails within the connect
// timeout with ErrNoSystemd.
func TestConnectBogusAddress(t *testing.T) {
	dir := t.TempDir()
	// Accepts connections and never says a word.
	silent := filepath.Join(dir, "silent.sock")
	l, err := net.Listen("unix", silent)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	// Not a socket at all.
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct{ name, addr string }{
		{"missing socket", "unix:path=" + filepath.Join(dir, "nope")},
		{"regular file", "unix:path=" + file},
		{"silent socket", "unix:path=" + silent},
		{"malformed address", "bogus"},
		{"tcp nobody listens on", "tcp:host=127.0.0.1,port=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const timeout = 500 * time.Millisecond
			start := time.Now()
			m, err := systemd.Connect(context.Background(), systemd.Options{Address: tt.addr, Timeout: timeout})
			took := time.Since(start)
			if err == nil {
				m.Close()
				t.Fatal("Connect succeeded")
			}
			if !errors.Is(err, systemd.ErrNoSystemd) {
				t.Errorf("err = %v, want it to wrap ErrNoSystemd", err)
			}
			if took > timeout+time.Second {
				t.Errorf("Connect took %s with a %s timeout", took, timeout)
			}
		})
	}
}
