package graceful

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"
)

// DefaultShutdownTimeout is used when Server.ShutdownTimeout is zero. It is
// below the guide's TimeoutStopSec=10 so the process exits on its own before
// systemd sends SIGKILL.
const DefaultShutdownTimeout = 5 * time.Second

// ErrShutdownTimeout is returned (wrapped) by Server.Run when requests were
// still in flight at the shutdown deadline, or a second stop signal arrived,
// and the remaining connections were closed.
var ErrShutdownTimeout = errors.New("in-flight requests cut at shutdown deadline")

// Service is what Server runs on its listener. *http.Server implements it; so
// can an adapter around any other server that serves a net.Listener.
type Service interface {
	// Serve accepts on l until Shutdown or Close; it then returns
	// (http.ErrServerClosed or any error, which Run ignores once stopping).
	Serve(l net.Listener) error
	// Shutdown stops accepting, closes l, and waits for in-flight work
	// until ctx ends, then returns ctx's error.
	Shutdown(ctx context.Context) error
	// Close drops every remaining connection.
	Close() error
}

var _ Service = (*http.Server)(nil)

// Server runs a Service with systemd's service protocol: socket activation
// or an address, READY=1 once ready, reload on SIGHUP, STOPPING=1 and a
// bounded drain on SIGTERM/SIGINT, and watchdog pings. Set HTTP (or Service)
// and call Run; every other field is optional. A Server is run once.
type Server struct {
	// HTTP is the server to run. Its Addr is the fallback address when Addr
	// is empty.
	HTTP *http.Server
	// Service is run instead of HTTP for non-HTTP servers. Set exactly one.
	Service Service

	// Addr is the TCP address to listen on when systemd passed no socket.
	Addr string
	// ListenerName picks the inherited socket by its FileDescriptorName=
	// when systemd passes several; empty takes the only one.
	ListenerName string
	// Listener, if set, is used as is: no activation, no Addr.
	Listener net.Listener

	// Ready, if set, runs after listening and before the first Accept; READY=1
	// is sent only when it returns nil. An error aborts Run (no READY=1), so
	// systemd marks the start failed. Its ctx ends when a stop is requested.
	// Connections that arrive meanwhile wait in the socket's queue: on a
	// shared socket they go to instances that are already serving.
	Ready func(ctx context.Context) error
	// Reload, if set, runs on SIGHUP between RELOADING=1 and READY=1 (the
	// Type=notify-reload protocol; ExecReload=kill -HUP $MAINPID works too).
	// A failed reload is logged and reported in STATUS=; serving goes on.
	// Stop signals wait until it returns, so keep it short.
	Reload func(ctx context.Context) error
	// ShutdownTimeout bounds the drain of in-flight requests after a stop
	// request; the rest are then closed. Keep it below TimeoutStopSec=.
	// Zero means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// IdleDrain (HTTP only) is how long, after a stop request, clients get
	// to close their keep-alive connections themselves before the idle ones
	// are closed under them: accepting stops and every response says
	// "Connection: close" meanwhile. It ends as soon as no connection is
	// left, and counts within ShutdownTimeout. Without it, a client that
	// sends its next request on a keep-alive connection just as the server
	// closes it gets EOF or a reset. Zero means DefaultIdleDrain; negative
	// skips it. Run wraps HTTP.Handler and HTTP.ConnState for it.
	IdleDrain time.Duration
	// WatchdogCheck, if set, must pass before each watchdog ping (see
	// Watchdog.Check). Pings are sent only when WatchdogSec= is set.
	WatchdogCheck func(ctx context.Context) error

	// Logger receives lifecycle events; nil discards them.
	Logger *slog.Logger
	// Notifier receives state changes; nil means Env.Notifier() (the
	// NOTIFY_SOCKET, or nothing).
	Notifier Notifier
	// Env is where activation and watchdog variables are read; the zero
	// value is the process environment.
	Env Env
	// Signals, if set, is read instead of installing handlers: SIGHUP
	// reloads, anything else stops. If nil, Run handles SIGTERM, SIGINT and
	// SIGHUP while it runs and restores the previous handling on return.
	Signals <-chan os.Signal
}

// Run listens, waits for Ready, serves, and returns after a stop request
// (ctx done, SIGTERM or SIGINT) once in-flight requests are drained. It
// returns nil after a clean stop, also one that arrives during Ready; an
// error wrapping ErrShutdownTimeout when the drain was cut short; otherwise
// the listen, Ready or Serve error.
func (s *Server) Run(ctx context.Context) error {
	svc, err := s.service()
	if err != nil {
		return err
	}
	sigs, stopSignals := s.signals()
	defer stopSignals()

	r := &runner{s: s, svc: svc, sigs: sigs, log: s.logger()}
	if s.HTTP != nil && s.IdleDrain >= 0 {
		r.keepAlive = &keepAlive{}
		r.keepAlive.install(s.HTTP)
	}
	r.notifier = s.Notifier
	if r.notifier == nil {
		r.notifier = s.Env.Notifier()
	}
	if err := r.listen(); err != nil {
		return err
	}

	wctx, stopWatchdog := context.WithCancel(context.WithoutCancel(ctx))
	watchdogDone := r.startWatchdog(wctx)
	defer func() { stopWatchdog(); <-watchdogDone }()

	return r.run(ctx)
}

func (s *Server) service() (Service, error) {
	switch {
	case s.HTTP != nil && s.Service != nil:
		return nil, errors.New("graceful: set Server.HTTP or Server.Service, not both")
	case s.HTTP != nil:
		return s.HTTP, nil
	case s.Service != nil:
		return s.Service, nil
	}
	return nil, errors.New("graceful: Server.HTTP (or Server.Service) is required")
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (s *Server) shutdownTimeout() time.Duration {
	if s.ShutdownTimeout > 0 {
		return s.ShutdownTimeout
	}
	return DefaultShutdownTimeout
}

func (s *Server) idleDrain() time.Duration {
	if s.IdleDrain > 0 {
		return s.IdleDrain
	}
	return DefaultIdleDrain
}

func (s *Server) addr() string {
	if s.Addr == "" && s.HTTP != nil {
		return s.HTTP.Addr
	}
	return s.Addr
}
