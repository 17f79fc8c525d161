package sshx

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gliderssh "github.com/gliderlabs/ssh"
)

// A listener that accepts and never speaks: a hung sshd (the kernel still
// completes the TCP handshake). Only the handshake deadline ends it.
func TestHandshakeTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	}()
	c := newTestClient(t)
	port := l.Addr().(*net.TCPAddr).Port
	kh := writeKnownHosts(t, "# empty")
	p := c.pool(t, mapResolver{"hung": {Name: "hung", HostName: "127.0.0.1", Port: port, UserKnownHostsFiles: []string{kh}}},
		func(o *Options) { o.HandshakeTimeout = 300 * time.Millisecond })
	start := time.Now()
	_, err = p.Conn(context.Background(), "hung")
	d := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "timed out") || !strings.Contains(err.Error(), "hung") {
		t.Fatalf("err = %v, want a handshake timeout naming the host", err)
	}
	if d < 250*time.Millisecond || d > 3*time.Second {
		t.Errorf("gave up after %v, want about 300ms", d)
	}

	// A caller's context ends its wait, and Close ends the dial, both
	// long before a 10s handshake timeout.
	p2 := c.pool(t, mapResolver{"hung": {Name: "hung", HostName: "127.0.0.1", Port: port, UserKnownHostsFiles: []string{kh}}},
		func(o *Options) { o.HandshakeTimeout = 10 * time.Second })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	if _, err := p2.Conn(ctx, "hung"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
	_ = p2.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancel + Close took %v", d)
	}
}

// freezeProxy forwards TCP to a backend until frozen, then stops forwarding
// without closing anything: a link whose packets vanish.
type freezeProxy struct {
	addr   string
	frozen atomic.Bool
}

func newFreezeProxy(t *testing.T, backend string) *freezeProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fp := &freezeProxy{addr: l.Addr().String()}
	var conns []net.Conn
	var mu sync.Mutex
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	go func() {
		for {
			a, err := l.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", backend)
			if err != nil {
				a.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, a, b)
			mu.Unlock()
			go fp.pipe(a, b)
			go fp.pipe(b, a)
		}
	}()
	return fp
}

// port is the proxy's port, for a Target.
func (fp *freezeProxy) port(t *testing.T) int {
	t.Helper()
	_, p, err := net.SplitHostPort(fp.addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (fp *freezeProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		for fp.frozen.Load() {
			time.Sleep(5 * time.Millisecond) // hold the bytes: they never arrive
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return // EOF or closed: the other direction ends on its own
		}
	}
}

func TestKeepaliveDetectsDeadLink(t *testing.T) {
	t.Run("default", func(t *testing.T) { testKeepalive(t, 0) })
	// ssh -G under BatchMode yes says ServerAliveInterval 300: the Pool's
	// shorter interval still applies (a dead link took 15 minutes).
	t.Run("target says 300s", func(t *testing.T) { testKeepalive(t, 300*time.Second) })
}

func testKeepalive(t *testing.T, targetInterval time.Duration) {
	c := newTestClient(t)
	ts := newTestServer(t, c.signer.PublicKey())
	fp := newFreezeProxy(t, ts.addr)
	kh := writeKnownHosts(t, khLine("web1.example", ts.hostPub[0]))
	tg := ts.target("web1", kh)
	tg.Port = fp.port(t)
	tg.HostKeyAlias = "web1.example" // the proxy's port is not the server's
	tg.ServerAliveInterval = targetInterval
	const interval = 50 * time.Millisecond
	p := c.pool(t, mapResolver{"web1": tg}, func(o *Options) { o.KeepaliveInterval = interval; o.KeepaliveMax = 3 })
	mustRunOK(t, p, "web1")

	// Idle for several intervals: answered keepalives keep it up.
	time.Sleep(6 * interval)
	conn, err := p.Conn(context.Background(), "web1")
	if err != nil || conn.Lost() != nil {
		t.Fatalf("healthy idle connection lost: %v %v", err, conn.Lost())
	}

	errc := make(chan error, 1)
	go func() {
		_, _, _, err := p.Run(context.Background(), "web1", []string{"sleep", "30"}, nil)
		errc <- err
	}()
	time.Sleep(2 * interval)
	fp.frozen.Store(true)
	frozenAt := time.Now()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrConnLost) || !strings.Contains(err.Error(), "web1") {
			t.Fatalf("err = %v, want ErrConnLost naming web1", err)
		}
		if d := time.Since(frozenAt); d > 10*interval {
			t.Errorf("loss noticed after %v, want within about %v", d, 5*interval)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("command on a dead link never failed")
	}
	select {
	case <-conn.Done():
	default:
		t.Error("Conn.Done not closed after the loss")
	}
	// The next command dials again (and gets through once the link is back).
	fp.frozen.Store(false)
	mustRunOK(t, p, "web1")
}

// The Pool never has more than MaxHandshakes handshakes in flight, measured
// on the server: from accepting the TCP connection (held 40ms before
// the server speaks) to the client's key being accepted.
func TestHandshakeConcurrencyLimit(t *testing.T) {
	for _, tt := range []struct {
		limit, hosts int
		wantMax      int32
	}{
		{3, 12, 3},
		{12, 12, 12}, // control: the measurement does see parallel handshakes
	} {
		c := newTestClient(t)
		var inflight, peak atomic.Int32
		var mu sync.Mutex
		pending := map[string]bool{}
		key := c.signer.PublicKey().Marshal()
		ts := newTestServer(t, c.signer.PublicKey(),
			withConnCallback(func(_ gliderssh.Context, conn net.Conn) net.Conn {
				n := inflight.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				mu.Lock()
				pending[conn.RemoteAddr().String()] = true
				mu.Unlock()
				time.Sleep(40 * time.Millisecond)
				return conn
			}),
			withAuth(func(ctx gliderssh.Context, k gliderssh.PublicKey) bool {
				if string(k.Marshal()) != string(key) {
					return false
				}
				mu.Lock()
				if pending[ctx.RemoteAddr().String()] {
					delete(pending, ctx.RemoteAddr().String())
					inflight.Add(-1)
				}
				mu.Unlock()
				return true
			}))
		kh := writeKnownHosts(t, khLine(ts.addr, ts.hostPub[0]))
		r := mapResolver{}
		for i := range tt.hosts {
			name := "web" + itoa(i)
			r[name] = ts.target(name, kh)
		}
		p := c.pool(t, r, func(o *Options) { o.MaxHandshakes = tt.limit })
		var wg sync.WaitGroup
		for name := range r {
			wg.Go(func() {
				if _, err := p.Conn(context.Background(), name); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got := peak.Load(); got != tt.wantMax {
			t.Errorf("limit %d: peak concurrent handshakes %d, want %d", tt.limit, got, tt.wantMax)
		}
		if n := ts.conns.Load(); n != int32(tt.hosts) {
			t.Errorf("limit %d: %d connections for %d hosts", tt.limit, n, tt.hosts)
		}
	}
}
