package sshx

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestProxyJump(t *testing.T) {
	c := newTestClient(t)
	bastion := newTestServer(t, c.signer.PublicKey(), asJumpHost())
	app1 := newTestServer(t, c.signer.PublicKey())
	app2 := newTestServer(t, c.signer.PublicKey())
	kh := writeKnownHosts(t, khLine(bastion.addr, bastion.hostPub[0]),
		khLine(app1.addr, app1.hostPub[0]), khLine(app2.addr, app2.hostPub[0]))

	r := mapResolver{
		"bastion": bastion.target("bastion", kh),
		"app1":    app1.target("app1", kh),
		"app2":    app2.target("app2", kh),
	}
	for _, h := range []string{"app1", "app2"} {
		tg := r[h]
		tg.ProxyJump = []string{"deploy@bastion"}
		r[h] = tg
	}
	p := c.pool(t, r)
	var wg sync.WaitGroup
	for _, h := range []string{"app1", "app2", "app1", "app2"} {
		wg.Go(func() { mustRunOK(t, p, h) })
	}
	wg.Wait()
	if n := bastion.conns.Load(); n != 1 {
		t.Errorf("bastion got %d connections, want 1 shared by both hosts", n)
	}
	if a, b := app1.conns.Load(), app2.conns.Load(); a != 1 || b != 1 {
		t.Errorf("app connections %d, %d, want 1 each", a, b)
	}
	if n := bastion.execs.Load(); n != 0 {
		t.Errorf("%d commands ran on the bastion, want 0", n)
	}
	got := map[string]bool{}
	for range 2 {
		got[<-bastion.forwarded] = true
	}
	if !got[app1.addr] || !got[app2.addr] {
		t.Errorf("bastion forwarded to %v, want %s and %s", got, app1.addr, app2.addr)
	}
}

// Every hop is verified under its own name: an unknown bastion is refused as
// the bastion, an unknown host behind a known bastion as that host.
func TestProxyJumpVerifiesEachHop(t *testing.T) {
	c := newTestClient(t)
	bastion := newTestServer(t, c.signer.PublicKey(), asJumpHost())
	app := newTestServer(t, c.signer.PublicKey())
	tests := []struct {
		name     string
		known    []string
		wantHost string
	}{
		{"unknown bastion", []string{khLine(app.addr, app.hostPub[0])}, "bastion"},
		{"unknown app", []string{khLine(bastion.addr, bastion.hostPub[0])}, "app"},
		// The app's key listed under the bastion's name does not vouch for it.
		{"key under other name", []string{khLine(bastion.addr, bastion.hostPub[0]), khLine(bastion.addr, app.hostPub[0])}, "app"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kh := writeKnownHosts(t, tt.known...)
			tg := app.target("app", kh)
			tg.ProxyJump = []string{"bastion"}
			p := c.pool(t, mapResolver{"bastion": bastion.target("bastion", kh), "app": tg})
			_, _, _, err := p.Run(context.Background(), "app", []string{"true"}, nil)
			var unknown *UnknownHostKeyError
			if !errors.As(err, &unknown) || unknown.Host != tt.wantHost {
				t.Fatalf("err = %v, want *UnknownHostKeyError for %s", err, tt.wantHost)
			}
		})
	}
	if app.execs.Load() != 0 {
		t.Error("a command ran on an unverified host")
	}
}

// Losing the bastion loses the hosts behind it at once, even when their
// own keepalives are slow.
func TestProxyJumpBastionLoss(t *testing.T) {
	c := newTestClient(t)
	bastion := newTestServer(t, c.signer.PublicKey(), asJumpHost())
	app := newTestServer(t, c.signer.PublicKey())
	fp := newFreezeProxy(t, bastion.addr)
	kh := writeKnownHosts(t, khLine("bastion.example", bastion.hostPub[0]), khLine(app.addr, app.hostPub[0]))
	bt := bastion.target("bastion", kh)
	bt.Port = fp.port(t)
	bt.HostKeyAlias = "bastion.example"
	at := app.target("app", kh)
	at.ProxyJump = []string{"bastion"}
	// Only the bastion's keepalive is quick: the app's own cannot be what
	// notices (the shorter of the Pool's and a target's interval applies).
	bt.ServerAliveInterval = 50 * time.Millisecond
	p := c.pool(t, mapResolver{"bastion": bt, "app": at}, func(o *Options) { o.KeepaliveInterval = time.Minute })
	mustRunOK(t, p, "app")

	errc := make(chan error, 1)
	go func() {
		_, _, _, err := p.Run(context.Background(), "app", []string{"sleep", "30"}, nil)
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond)
	fp.frozen.Store(true)
	select {
	case err := <-errc:
		if !errors.Is(err, ErrConnLost) || !strings.Contains(err.Error(), "app") || !strings.Contains(err.Error(), "bastion") {
			t.Fatalf("err = %v, want ErrConnLost naming app and bastion", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("command behind a dead bastion never failed")
	}
}
