package sshx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
)

// Conn is one established SSH connection, watched by keepalives.
type Conn struct {
	Target Target
	client *ssh.Client

	lostOnce sync.Once
	lostCh   chan struct{}
	lostErr  error
	closing  atomic.Bool
	stop     chan struct{}
}

// Client is the underlying x/crypto client (for sftp, forwarding).
func (c *Conn) Client() *ssh.Client { return c.client }

// Lost returns nil while the connection is up, else an error wrapping
// ErrConnLost.
func (c *Conn) Lost() error {
	select {
	case <-c.lostCh:
		return c.lostErr
	default:
		return nil
	}
}

// Done is closed when the connection is lost or closed.
func (c *Conn) Done() <-chan struct{} { return c.lostCh }

func (c *Conn) markLost(cause error) {
	c.lostOnce.Do(func() {
		if c.closing.Load() {
			c.lostErr = fmt.Errorf("host %s: %w: closed by sysroll", c.Target.Name, ErrConnLost)
		} else {
			c.lostErr = fmt.Errorf("host %s: %w: %v", c.Target.Name, ErrConnLost, cause)
		}
		close(c.lostCh)
	})
	c.client.Close()
}

func (c *Conn) close() {
	c.closing.Store(true)
	close(c.stop)
	c.markLost(nil)
}

// connect dials t, directly or through via, under the handshake limit.
func (p *Pool) connect(ctx context.Context, t Target, via *Conn) (*Conn, error) {
	cfg, err := p.clientConfig(t)
	if err != nil {
		return nil, err
	}
	select {
	case p.handshakes <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("host %s: waiting for a handshake slot: %w", t.Name, ctx.Err())
	}
	defer func() { <-p.handshakes }()

	connectTimeout := t.ConnectTimeout
	if connectTimeout <= 0 {
		connectTimeout = p.opts.ConnectTimeout
	}
	dctx, cancel := context.WithTimeout(ctx, connectTimeout)
	var nc net.Conn
	if via != nil {
		nc, err = via.client.DialContext(dctx, "tcp", t.Addr())
	} else {
		nc, err = p.opts.Dial(dctx, "tcp", t.Addr())
	}
	cancel()
	if err != nil {
		if via != nil && via.Lost() != nil {
			err = via.Lost()
		}
		return nil, fmt.Errorf("host %s: connect %s: %w", t.Name, t.Addr(), err)
	}
	hsTimeout := p.opts.HandshakeTimeout
	if t.ConnectTimeout > 0 {
		hsTimeout = t.ConnectTimeout // OpenSSH's ConnectTimeout also covers the banner
	}
	client, err := handshake(ctx, nc, t, cfg, hsTimeout)
	if err != nil {
		return nil, err
	}
	c := &Conn{Target: t, client: client, lostCh: make(chan struct{}), stop: make(chan struct{})}
	interval, max := p.opts.KeepaliveInterval, p.opts.KeepaliveMax
	// The shorter of ours and the target's: `ssh -G` prints the effective
	// value, and with BatchMode yes OpenSSH's default is 300 s, which
	// would take 15 minutes to notice a dead link mid-rollout.
	if t.ServerAliveInterval > 0 && t.ServerAliveInterval < interval {
		interval = t.ServerAliveInterval
	}
	if t.ServerAliveCountMax > 0 {
		max = t.ServerAliveCountMax
	}
	go func() {
		err := client.Wait()
		if via != nil && via.Lost() != nil { // closed because its bastion was
			err = fmt.Errorf("jump host %s: %w", via.Target.Name, via.Lost())
		}
		c.markLost(err)
	}()
	go keepalive(c, interval, max)
	if via != nil {
		// A host behind a lost bastion is lost too.
		go func() {
			select {
			case <-via.Done():
				c.markLost(fmt.Errorf("jump host %s: %w", via.Target.Name, via.Lost()))
			case <-c.Done():
			}
		}()
	}
	return c, nil
}

// handshake runs the SSH handshake on nc with a deadline. The deadline is
// set on the conn where supported (TCP) and enforced by closing the conn in
// any case (channels through a jump host support no deadlines).
func handshake(ctx context.Context, nc net.Conn, t Target, cfg *ssh.ClientConfig, timeout time.Duration) (*ssh.Client, error) {
	_ = nc.SetDeadline(time.Now().Add(timeout))
	var timedOut atomic.Bool
	timer := time.AfterFunc(timeout, func() { timedOut.Store(true); nc.Close() })
	stopCtx := context.AfterFunc(ctx, func() { nc.Close() })
	sc, chans, reqs, err := ssh.NewClientConn(nc, t.KnownHostsName(), cfg)
	timer.Stop()
	stopCtx()
	if err != nil {
		nc.Close()
		var (
			unknown *UnknownHostKeyError
			changed *ChangedHostKeyError
			revoked *RevokedHostKeyError
		)
		switch {
		case errors.As(err, &unknown):
			return nil, unknown
		case errors.As(err, &changed):
			return nil, changed
		case errors.As(err, &revoked):
			return nil, revoked
		case timedOut.Load() || errors.Is(err, os.ErrDeadlineExceeded):
			return nil, fmt.Errorf("host %s: SSH handshake with %s timed out after %s (sshd hung or overloaded? check `ssh -v %s`)", t.Name, t.Addr(), timeout, t.Name)
		case ctx.Err() != nil:
			return nil, fmt.Errorf("host %s: SSH handshake: %w", t.Name, ctx.Err())
		}
		return nil, fmt.Errorf("host %s: SSH handshake with %s as %s: %w", t.Name, t.Addr(), cfg.User, err)
	}
	_ = nc.SetDeadline(time.Time{}) // jump-hop channels do not support deadlines
	return ssh.NewClient(sc, chans, reqs), nil
}

// keepalive sends keepalive@openssh.com every interval. Any reply, even a
// refusal, proves the peer alive; max ticks in a row with the previous
// request still unanswered mark the connection lost and close it, which
// fails every session on it.
func keepalive(c *Conn, interval time.Duration, max int) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	replies := make(chan error, 1)
	pending, missed := false, 0
	for {
		select {
		case <-c.stop:
			return
		case <-c.lostCh:
			return
		case err := <-replies:
			pending, missed = false, 0
			if err != nil {
				c.markLost(fmt.Errorf("keepalive: %w", err))
				return
			}
		case <-tick.C:
			if pending {
				missed++
				if missed >= max {
					c.markLost(fmt.Errorf("%d keepalives unanswered at %s intervals", missed, interval))
					return
				}
				continue
			}
			pending = true
			go func() {
				_, _, err := c.client.SendRequest("keepalive@openssh.com", true, nil)
				replies <- err
			}()
		}
	}
}
