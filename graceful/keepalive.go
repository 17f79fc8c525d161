package graceful

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultIdleDrain is used when Server.IdleDrain is zero.
const DefaultIdleDrain = time.Second

// idleQuiet is how long a connection must have been idle (or open without
// a request) before the idle drain closes it: far longer than the gap
// between two requests of a client that is using the connection, so the
// drain does not close one under a request being sent; a connection that
// sat in a pool that long (say, a balancer's pool to a server it drained)
// is closed at once instead of holding the stop for the whole IdleDrain.
const idleQuiet = 100 * time.Millisecond

// keepAlive ends an http.Server's HTTP/1.1 keep-alive connections without
// losing a request. http.Server.Shutdown closes every connection that is
// idle at that instant, and one whose response went out just before
// without "Connection: close"; a client that wrote its next request on it
// at that moment gets EOF or a reset. Go's client retries such a request
// only if it is idempotent, a strict balancer not at all: under load, a
// failed request every few restarts.
//
// So on a stop request, before Shutdown: stop accepting, answer every
// request with "Connection: close" (the client closes the connection after
// the response, knowingly), close connections that have been quiet for
// idleQuiet, and wait until none is left (at most IdleDrain).
type keepAlive struct {
	draining atomic.Bool

	mu    sync.Mutex
	conns map[net.Conn]connState
}

type connState struct {
	state   http.ConnState
	since   time.Time
	closing bool
}

// install wraps srv's Handler and ConnState hook. It must run before Serve.
func (k *keepAlive) install(srv *http.Server) {
	k.conns = map[net.Conn]connState{}
	next := srv.Handler
	if next == nil {
		next = http.DefaultServeMux
	}
	srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if k.draining.Load() {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
	prev := srv.ConnState
	srv.ConnState = func(c net.Conn, st http.ConnState) {
		k.track(c, st)
		if prev != nil {
			prev(c, st)
		}
	}
}

func (k *keepAlive) track(c net.Conn, st http.ConnState) {
	k.mu.Lock()
	defer k.mu.Unlock()
	switch st {
	case http.StateClosed, http.StateHijacked:
		delete(k.conns, c)
	default:
		k.conns[c] = connState{state: st, since: time.Now()}
	}
}

// closeQuiet closes the connections idle, or open without a request, for
// at least quiet, and returns how many connections are left.
func (k *keepAlive) closeQuiet(quiet time.Duration) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	for c, s := range k.conns {
		if s.closing || (s.state != http.StateIdle && s.state != http.StateNew) || time.Since(s.since) < quiet {
			continue
		}
		// The server's goroutine for c sees the error and reports it
		// closed (StateClosed), which removes it.
		_ = c.Close()
		s.closing = true
		k.conns[c] = s
	}
	return len(k.conns)
}

// start marks every further response "Connection: close".
func (k *keepAlive) start() { k.draining.Store(true) }

// drain starts draining and waits until no connection is left, closing
// quiet ones, for at most d or until ctx ends. It returns how many
// connections were left.
func (k *keepAlive) drain(ctx context.Context, d time.Duration) int {
	k.start()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		left := k.closeQuiet(min(idleQuiet, d))
		if left == 0 {
			return 0
		}
		select {
		case <-ctx.Done():
			return left
		case <-deadline.C:
			return left
		case <-tick.C:
		}
	}
}
