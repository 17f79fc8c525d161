package systemd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// ReconnectTimeout bounds how long the Manager tries to connect again after
// the connection to systemd dropped (a daemon-reexec takes about a second;
// a package upgrade that re-executes systemd a few). Past it, the call that
// found the connection gone fails with an error naming this bound.
const ReconnectTimeout = 30 * time.Second

// Backoff between two reconnect attempts: doubling from reconnectFirst up
// to reconnectMax.
const (
	reconnectFirst = 50 * time.Millisecond
	reconnectMax   = 2 * time.Second
)

// link is one connection to systemd: go-systemd's Conn and the two godbus
// connections it dialed (requests, then signals). A link that dropped is
// never used again; DBus replaces it with a new one.
type link struct {
	conn *sddbus.Conn
	// bus is the request connection, kept for the calls go-systemd does
	// not wrap (LoadUnit, Properties.Get).
	bus *dbus.Conn
	sig *dbus.Conn
	// lost is closed when either connection ends.
	lost <-chan struct{}
}

// dialLink connects to addr within timeout. godbus closes a connection when
// its context ends, and ours outlive the dial: they must not hang off ctx.
// Until dialLink returns, though, the timeout must close them: that is what
// aborts a handshake with a socket that accepts and never answers (or a
// systemd still busy re-executing).
func dialLink(ctx context.Context, addr string, hello bool, timeout time.Duration) (*link, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	connCtx, closeConns := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, closeConns)
	var dialed []*dbus.Conn
	conn, err := sddbus.NewConnection(func() (*dbus.Conn, error) {
		c, err := dbus.Dial(addr, dbus.WithContext(connCtx))
		if err != nil {
			return nil, err
		}
		if err := c.Auth([]dbus.Auth{dbus.AuthExternal(strconv.Itoa(os.Getuid()))}); err != nil {
			c.Close()
			return nil, err
		}
		if hello {
			if err := c.Hello(); err != nil {
				c.Close()
				return nil, err
			}
		}
		dialed = append(dialed, c)
		return c, nil
	})
	if err != nil {
		closeConns()
		return nil, fmt.Errorf("%w: connect %s: %w", ErrNoSystemd, addr, err)
	}
	// A socket can exist while nothing serves it; ask for a property to be sure.
	if _, err := conn.GetManagerProperty("Version"); err != nil {
		conn.Close()
		return nil, fmt.Errorf("%w: %s does not answer: %w", ErrNoSystemd, addr, err)
	}
	if !stop() { // the timeout fired after all and closed the connections
		conn.Close()
		return nil, fmt.Errorf("%w: connect %s: %w", ErrNoSystemd, addr, ctx.Err())
	}
	l := &link{conn: conn, bus: dialed[0], sig: dialed[1]}
	lost := make(chan struct{})
	go func() {
		select {
		case <-l.bus.Context().Done():
		case <-l.sig.Context().Done():
		}
		close(lost)
	}()
	l.lost = lost
	return l, nil
}

func (l *link) close() { l.conn.Close() }

// dropped reports whether err came from l's connection going away rather
// than from systemd answering with an error.
func (l *link) dropped(err error) bool {
	if err == nil {
		return false
	}
	select {
	case <-l.lost:
		return true
	default:
	}
	var de dbus.Error
	if errors.As(err, &de) {
		// An answer from systemd, or from the bus daemon saying systemd
		// left the bus (it re-executes): the latter is a drop too.
		return de.Name == "org.freedesktop.DBus.Error.NoReply" ||
			de.Name == "org.freedesktop.DBus.Error.ServiceUnknown" ||
			de.Name == "org.freedesktop.DBus.Error.Disconnected"
	}
	return errors.Is(err, dbus.ErrClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// current returns the link in use.
func (d *DBus) current() (*link, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, fmt.Errorf("%w: the connection was closed", ErrNoSystemd)
	}
	return d.l, nil
}

// reconnect replaces the dropped link old with a new one, unless another
// caller already did. It tries for up to ReconnectTimeout (or until ctx
// ends), backing off between attempts. The retry policy lives here and in
// do, nowhere else.
func (d *DBus) reconnect(ctx context.Context, old *link) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return fmt.Errorf("%w: the connection was closed", ErrNoSystemd)
	}
	if d.l != old {
		return nil // someone else reconnected meanwhile
	}
	old.close()
	l, err := retryDial(ctx, ReconnectTimeout, func(ctx context.Context) (*link, error) {
		return dialLink(ctx, d.addr, d.hello, d.timeout)
	})
	if err != nil {
		return err
	}
	d.l = l
	d.reconnects++
	return nil
}

// retryDial calls dial until it succeeds, bound passes or ctx ends,
// waiting reconnectFirst, then twice as long each time up to reconnectMax,
// between attempts.
func retryDial[T any](ctx context.Context, bound time.Duration, dial func(ctx context.Context) (T, error)) (T, error) {
	var zero T
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	wait := reconnectFirst
	for attempt := 1; ; attempt++ {
		v, err := dial(ctx)
		if err == nil {
			return v, nil
		}
		select {
		case <-ctx.Done():
			return zero, fmt.Errorf("connection to systemd lost and not back after %d attempts within %s (ReconnectTimeout %s): %w",
				attempt, bound, ReconnectTimeout, err)
		case <-time.After(wait):
		}
		wait = min(2*wait, reconnectMax)
	}
}

// firstDial is the first connection's dial: a systemd that re-executes
// (daemon-reexec, what a package upgrade runs) refuses or resets the
// connections it has not handed over yet, so a verb started at that moment
// failed at once with "no systemd service manager reachable: ... connection
// reset by peer". A failure that restarting says is such is retried as a
// reconnect is (retryDial); any other (no socket, denied) is not, so a host
// without systemd still hears so at once.
func firstDial[T any](ctx context.Context, restarting func(error) bool, dial func(ctx context.Context) (T, error)) (T, error) {
	v, err := dial(ctx)
	if err == nil || !restarting(err) {
		return v, err
	}
	return retryDial(ctx, ReconnectTimeout, dial)
}

// refusedOrReset is resetByRestart, or a refused connection: what a
// re-executing systemd's own socket gives for a moment. Only for the
// manager's default address, where /run/systemd/system says systemd booted
// this host; at an address the caller gave, refused means nobody is there.
func refusedOrReset(err error) bool {
	return resetByRestart(err) || errors.Is(err, syscall.ECONNREFUSED)
}

// resetByRestart says whether a dial failed the way it does while systemd
// re-executes: the connection accepted, then reset or ended, or the bus
// daemon saying systemd is not on the bus (yet).
func resetByRestart(err error) bool {
	var de dbus.Error
	if errors.As(err, &de) {
		return de.Name == "org.freedesktop.DBus.Error.NoReply" ||
			de.Name == "org.freedesktop.DBus.Error.ServiceUnknown" ||
			de.Name == "org.freedesktop.DBus.Error.Disconnected"
	}
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// do runs a call that is safe to repeat (a read, daemon-reload,
// reset-failed, enable, disable) on the current link; when the link
// dropped under it, it reconnects and runs it again.
func (d *DBus) do(ctx context.Context, f func(l *link) error) error {
	for attempt := 0; ; attempt++ {
		l, err := d.current()
		if err != nil {
			return err
		}
		err = f(l)
		if !l.dropped(err) || attempt >= maxRetries || ctx.Err() != nil {
			return err
		}
		if rerr := d.reconnect(ctx, l); rerr != nil {
			return fmt.Errorf("%w (%w)", err, rerr)
		}
	}
}

// maxRetries bounds how often one call is repeated after a drop: each
// repeat follows a successful reconnect, so more means systemd keeps
// re-executing under us.
const maxRetries = 3
