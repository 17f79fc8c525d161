package graceful

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// runner is the state of one Server.Run.
type runner struct {
	s        *Server
	svc      Service
	sigs     <-chan os.Signal
	log      *slog.Logger
	notifier Notifier

	ln            net.Listener
	addr          string
	reloadPending bool       // SIGHUP during warm-up, handled once serving
	keepAlive     *keepAlive // HTTP servers: ends keep-alive connections cleanly
}

// signals returns the channel Run reads signals from and a func undoing the
// handler. The handler is scoped to Run: no process-wide state survives it.
func (s *Server) signals() (<-chan os.Signal, func()) {
	if s.Signals != nil {
		return s.Signals, func() {}
	}
	ch := make(chan os.Signal, 3)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	return ch, func() { signal.Stop(ch) }
}

func (r *runner) listen() error {
	defer func() {
		if r.ln != nil {
			r.ln = &closeOnce{Listener: r.ln}
		}
	}()
	if r.s.Listener != nil {
		r.ln = r.s.Listener
	} else {
		ln, inherited, err := r.s.Env.listen(r.s.ListenerName, r.s.addr())
		if err != nil {
			return err
		}
		r.ln = ln
		if inherited {
			r.log.Info("using socket from systemd", "addr", ln.Addr().String())
		}
	}
	r.addr = r.ln.Addr().String()
	r.log = r.log.With("addr", r.addr)
	return nil
}

func (r *runner) startWatchdog(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	timeout, err := r.s.Env.WatchdogTimeout()
	if err != nil {
		r.log.Warn("watchdog disabled", "err", err)
	}
	if timeout <= 0 {
		close(done)
		return done
	}
	r.log.Info("watchdog enabled", "timeout", timeout)
	go func() {
		defer close(done)
		Watchdog{Notifier: r.notifier, Timeout: timeout, Check: r.s.WatchdogCheck, Logger: r.log}.Run(ctx)
	}()
	return done
}

// notify sends msgs as one message. A failed send is logged, not returned:
// the service works without a manager, and systemd will time it out if
// READY=1 never arrives.
func (r *runner) notify(msgs ...string) {
	if err := r.notifier.Notify(joinMsgs(msgs...)); err != nil {
		r.log.Error("notify service manager", "err", err)
	}
}

func (r *runner) run(ctx context.Context) error {
	r.notify(MsgStatus("starting"))
	stopped, err := r.warmUp(ctx)
	if err != nil || stopped {
		_ = r.ln.Close()
		r.notify(MsgStopping, MsgStatus("stopped before ready"))
		if err != nil {
			return err
		}
		r.log.Info("stopped before ready")
		return nil
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- r.svc.Serve(r.ln) }()
	r.notify(MsgReady, MsgStatus("serving on "+r.addr))
	r.log.Info("ready")
	if r.reloadPending {
		r.reload(ctx)
	}
	for {
		select {
		case <-ctx.Done():
			return r.shutdown(serveErr, "context done")
		case sig := <-r.sigs:
			if sig == syscall.SIGHUP {
				r.reload(ctx)
				continue
			}
			return r.shutdown(serveErr, sig.String())
		case err := <-serveErr:
			_ = r.ln.Close()
			r.notify(MsgStopping, MsgStatus("serve failed"))
			return fmt.Errorf("serve %s: %w", r.addr, err)
		}
	}
}

// warmUp runs Ready, interruptible by a stop request. It reports stopped when
// a stop came first; SIGHUP meanwhile is remembered for later.
func (r *runner) warmUp(ctx context.Context) (stopped bool, err error) {
	if r.s.Ready == nil {
		return ctx.Err() != nil, nil
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.s.Ready(rctx) }()
wait:
	for {
		select {
		case err := <-done:
			if ctx.Err() != nil {
				return true, nil
			}
			if err != nil {
				return false, fmt.Errorf("not ready: %w", err)
			}
			return false, nil
		case <-ctx.Done():
			break wait
		case sig := <-r.sigs:
			if sig == syscall.SIGHUP {
				r.reloadPending = true
				continue
			}
			break wait
		}
	}
	// Stop requested during warm-up: give Ready the drain budget to notice.
	cancel()
	timeout := r.s.shutdownTimeout()
	select {
	case <-done:
		return true, nil
	case <-time.After(timeout):
		return true, fmt.Errorf("stop during warm-up: Ready ignored cancellation for %s", timeout)
	}
}

func (r *runner) reload(ctx context.Context) {
	r.log.Info("reloading")
	r.notify(MsgReloading, MsgMonotonicUsec(), MsgStatus("reloading"))
	var err error
	if r.s.Reload != nil {
		err = r.s.Reload(ctx)
	}
	if err != nil {
		r.log.Error("reload failed, serving on", "err", err)
		r.notify(MsgReady, MsgStatus("reload failed, serving on "+r.addr+": "+err.Error()))
		return
	}
	r.notify(MsgReady, MsgStatus("serving on "+r.addr))
	r.log.Info("reloaded")
}

// shutdown drains: stop accepting (closing this process's copy of the
// listening socket; systemd and other instances keep theirs), wait for
// in-flight requests up to ShutdownTimeout or a second stop signal, then
// close what is left.
func (r *runner) shutdown(serveErr <-chan error, reason string) error {
	timeout := r.s.shutdownTimeout()
	r.log.Info("stopping", "reason", reason, "timeout", timeout)
	if r.keepAlive != nil {
		// From now on every response says "Connection: close"; stop
		// accepting (Serve returns; its connections go on).
		r.keepAlive.start()
		_ = r.ln.Close()
	}
	r.notify(MsgStopping, MsgStatus("draining"))

	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if r.keepAlive != nil {
		// Let clients close their keep-alive connections on a
		// "Connection: close" response before Shutdown closes the idle
		// ones under them.
		if left := r.keepAlive.drain(sctx, r.s.idleDrain()); left > 0 {
			r.log.Info("connections still open after the idle drain", "open", left, "idle_drain", r.s.idleDrain())
		}
	}
	done := make(chan error, 1)
	go func() { done <- r.svc.Shutdown(sctx) }()
	var err error
wait:
	for {
		select {
		case err = <-done:
			break wait
		case sig := <-r.sigs:
			if sig == syscall.SIGHUP {
				continue
			}
			r.log.Warn("second stop signal, closing connections", "signal", sig.String())
			cancel()
		}
	}
	if err != nil {
		_ = r.svc.Close()
	}
	_ = r.ln.Close() // Shutdown closed it already for *http.Server; a no-op then
	select {
	case <-serveErr: // Serve returns as soon as Shutdown stops it
	case <-time.After(timeout):
		r.log.Warn("Serve did not return after shutdown")
	}
	if err != nil {
		r.notify(MsgStatus("stopped, in-flight requests cut"))
		return fmt.Errorf("drain %s: %w after %s: %w", r.addr, ErrShutdownTimeout, timeout, err)
	}
	r.notify(MsgStatus("stopped"))
	r.log.Info("drained")
	return nil
}

// closeOnce makes a second Close a no-op: the stop closes the listener to
// stop accepting, and http.Server.Shutdown, when Serve has not returned
// yet, closes it again and would report "use of closed network connection"
// as a failed drain.
type closeOnce struct {
	net.Listener
	once sync.Once
	err  error
}

func (l *closeOnce) Close() error {
	l.once.Do(func() { l.err = l.Listener.Close() })
	return l.err
}
