//go:build integration

package push

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/fleet/push"
	"github.com/sysroll/sysroll/internal/sshx"
)

// TestLostConnection: the network to a host is cut while a push is
// copying. The push fails as a lost connection, its temp stays on the host
// (nothing can reach it), and once the network is back the next push of
// the same binary, on the same Conn, reconnects, resumes that temp (stale
// by then) instead of sending it all again, and leaves no temp.
func TestLostConnection(t *testing.T) {
	f := e2etest.SharedFleet(t)
	// The fleet's ssh_config says BatchMode yes, under which OpenSSH (and
	// so ssh -G, and sshx) defaults ServerAliveInterval to 300s: a dead
	// link would take 15 minutes to notice. Keepalives of 1s go first
	// (ssh_config takes a keyword's first value).
	base, err := os.ReadFile(f.SSHConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "ssh_config")
	if err := os.WriteFile(cfg, append([]byte("Host *\n  ServerAliveInterval 1\n  ServerAliveCountMax 2\n  ConnectTimeout 2\n"), base...), 0o600); err != nil {
		t.Fatal(err)
	}
	p := sshx.NewPool(sshx.Options{Resolver: &sshx.OpenSSHResolver{ConfigFile: cfg}, NoAgent: true})
	t.Cleanup(func() { p.Close() })
	h := f.Host("h1")
	const root = "/var/lib/sysroll-lost"
	dir := root + "/.bin"
	c := conn(t, p, "h1", push.Options{Root: root, StaleAfter: 2 * time.Second})
	bin, sha, size := build(t, 64<<20)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h.RestoreNetwork(ctx)
		onHost(t, h, "rm -rf "+root)
	})

	type result struct {
		sent int64
		err  error
	}
	done := make(chan result, 1)
	go func() {
		_, sent, err := push.EnsureBinary(context.Background(), c, bin)
		done <- result{sent, err}
	}()
	// Cut once the temp holds 16 MiB: past the 8 MiB resume window.
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, _ := strconv.Atoi(onHost(t, h, "cat "+dir+"/.sysroll-tmp-* 2>/dev/null | wc -c"))
		if n > 16<<20 {
			break
		}
		select {
		case r := <-done:
			t.Fatalf("the push ended before the cut: %d bytes, %v", r.sent, r.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the push never wrote 16 MiB")
		}
		time.Sleep(20 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.CutNetwork(ctx); err != nil {
		t.Fatal(err)
	}
	var r result
	select {
	case r = <-done:
	case <-time.After(time.Minute):
		t.Fatal("the push did not notice the cut within a minute")
	}
	if !errors.Is(r.err, sshx.ErrConnLost) || r.sent >= size {
		t.Errorf("push across the cut: %d of %d bytes, %v; want an error wrapping ErrConnLost", r.sent, size, r.err)
	}
	left := temps(t, h, dir)
	if left == "" {
		t.Error("no temp on the host after the cut: the cut came too late to test the sweep")
	}
	t.Logf("cut after %d of %d bytes: %v; left %q", r.sent, size, r.err, left)

	if err := h.RestoreNetwork(ctx); err != nil {
		t.Fatal(err)
	}
	// The temp becomes stale (StaleAfter 2s) once nothing writes it: the
	// host's side of the dead session may go on writing what it had
	// buffered until its sshd gives the session up, so wait until its
	// size has not changed for 2.5 s rather than a fixed time.
	var partial int64
	stable, deadline := time.Now(), time.Now().Add(time.Minute)
	for time.Since(stable) < 2500*time.Millisecond {
		if time.Now().After(deadline) {
			t.Fatal("the dead copy's temp kept growing for a minute")
		}
		n, _ := strconv.ParseInt(onHost(t, h, "stat -c %s "+dir+"/.sysroll-tmp-*"), 10, 64)
		if n != partial {
			partial, stable = n, time.Now()
		}
		time.Sleep(200 * time.Millisecond)
	}
	remote, sent, err := push.EnsureBinary(context.Background(), c, bin)
	if err != nil {
		t.Fatalf("push after the network came back: %v", err)
	}
	t.Logf("the dead copy had %d bytes; the resumed push sent %d of %d", partial, sent, size)
	if sent <= 0 || sent > size-(partial-8<<20) {
		t.Errorf("resumed push sent %d bytes of %d with %d on the host; want at most %d (all but the trusted prefix)", sent, size, partial, size-(partial-8<<20))
	}
	if got, want := describe(t, h, remote), sha+" 755 root:root"; got != want {
		t.Errorf("the resumed copy is %q, want %q", got, want)
	}
	if left := temps(t, h, dir); left != "" {
		t.Errorf("after the next push, %s holds temps %q", dir, left)
	}
}
