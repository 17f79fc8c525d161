package sshx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	osuser "os/user"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// ErrConnLost: an established connection died (keepalives unanswered, or
// the peer closed it). Commands running on it fail with an error wrapping
// it; the host's state is unknown, not failed.
var ErrConnLost = errors.New("ssh connection lost")

// Defaults for Options.
const (
	DefaultMaxHandshakes     = 10 // sshd's MaxStartups default begins refusing past 10
	DefaultConnectTimeout    = 10 * time.Second
	DefaultHandshakeTimeout  = 15 * time.Second
	DefaultKeepaliveInterval = 5 * time.Second
	DefaultKeepaliveMax      = 3
)

// DialFunc opens the TCP connection to a first hop; the seam to the network.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Options configure a Pool. Zero values take the defaults above.
type Options struct {
	// Resolver resolves host names (OpenSSHResolver when nil).
	Resolver Resolver
	// AcceptNew adds keys of hosts that known_hosts does not know to the
	// first UserKnownHostsFile. A changed key is refused regardless.
	AcceptNew bool
	// MaxHandshakes bounds concurrent TCP connects + SSH handshakes (jump
	// hops included), so a large fleet does not trip sshd's MaxStartups or
	// a bastion's.
	MaxHandshakes int
	// ConnectTimeout bounds the TCP connect when the target has none.
	ConnectTimeout time.Duration
	// HandshakeTimeout bounds the SSH handshake (banner, kex, auth) on the
	// connection: x/crypto's ClientConfig.Timeout covers only the connect,
	// and a hung sshd accepts TCP but never speaks.
	HandshakeTimeout time.Duration
	// KeepaliveInterval and KeepaliveMax: a keepalive@openssh.com request
	// every interval; KeepaliveMax unanswered in a row mean ErrConnLost.
	// A target's ServerAliveInterval wins when shorter, its CountMax when set.
	KeepaliveInterval time.Duration
	KeepaliveMax      int
	// Agent signs with the user's keys; when nil, SSH_AUTH_SOCK is dialled
	// if set. NoAgent disables the agent entirely.
	Agent   agent.Agent
	NoAgent bool
	// Passphrase is called for encrypted identity files not in the agent;
	// nil means such files are skipped with an *EncryptedKeyError.
	Passphrase PassphraseFunc
	// Dial opens first-hop TCP connections (net.Dialer when nil).
	Dial DialFunc
	// Warn receives config warnings (Target.Warnings); nil drops them.
	Warn func(string)
}

// Pool keeps one SSH connection per host for the life of a command, and one
// per bastion shared by all hosts behind it. Safe for concurrent use.
type Pool struct {
	opts       Options
	handshakes chan struct{}

	agentOnce   sync.Once
	agentConn   net.Conn
	agentClient agent.ExtendedAgent // one client: it serializes requests on agentConn

	// life is cancelled by Close; dials run under it, not under a caller's
	// context, and Close does not wait out their timeouts.
	life     context.Context
	stopLife context.CancelFunc

	mu      sync.Mutex
	conns   map[string]*entry
	targets map[string]Target // resolved once per host: ssh -G is a process
	closed  bool
}

// entry is one connection, dialled once; waiters block on ready.
type entry struct {
	ready chan struct{}
	conn  *Conn
	err   error
}

// NewPool returns a Pool; Close it to drop every connection.
func NewPool(opts Options) *Pool {
	if opts.Resolver == nil {
		opts.Resolver = &OpenSSHResolver{}
	}
	if opts.MaxHandshakes <= 0 {
		opts.MaxHandshakes = DefaultMaxHandshakes
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = DefaultConnectTimeout
	}
	if opts.HandshakeTimeout <= 0 {
		opts.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if opts.KeepaliveInterval <= 0 {
		opts.KeepaliveInterval = DefaultKeepaliveInterval
	}
	if opts.KeepaliveMax <= 0 {
		opts.KeepaliveMax = DefaultKeepaliveMax
	}
	if opts.Dial == nil {
		var d net.Dialer
		opts.Dial = d.DialContext
	}
	life, stop := context.WithCancel(context.Background())
	return &Pool{opts: opts, life: life, stopLife: stop, handshakes: make(chan struct{}, opts.MaxHandshakes),
		conns: map[string]*entry{}, targets: map[string]Target{}}
}

// Conn returns the connection to host, dialling it (and its jump hosts)
// on first use or after the previous one was lost.
func (p *Pool) Conn(ctx context.Context, host string) (*Conn, error) {
	t, err := p.resolve(host, func() (Target, error) { return p.opts.Resolver.Resolve(ctx, host) })
	if err != nil {
		return nil, err
	}
	var via *Conn
	var chain []string
	for _, spec := range t.ProxyJump {
		chain = append(chain, spec)
		hop, err := p.resolve("jump "+spec, func() (Target, error) { return resolveJump(ctx, p.opts.Resolver, spec) })
		if err != nil {
			return nil, fmt.Errorf("host %s: %w", host, err)
		}
		parent := via
		via, err = p.get(ctx, "jump "+strings.Join(chain, ","), func(ctx context.Context) (*Conn, error) {
			return p.connect(ctx, hop, parent)
		})
		if err != nil {
			return nil, fmt.Errorf("host %s: via %w", host, err)
		}
	}
	key := "host " + host
	if len(chain) > 0 {
		key += " via " + strings.Join(chain, ",")
	}
	return p.get(ctx, key, func(ctx context.Context) (*Conn, error) { return p.connect(ctx, t, via) })
}

// resolve returns the cached Target under key, resolving it on first use
// and passing its warnings to Options.Warn once.
func (p *Pool) resolve(key string, resolve func() (Target, error)) (Target, error) {
	p.mu.Lock()
	t, ok := p.targets[key]
	p.mu.Unlock()
	if ok {
		return t, nil
	}
	t, err := resolve()
	if err != nil {
		return Target{}, err
	}
	p.mu.Lock()
	if _, raced := p.targets[key]; raced {
		p.mu.Unlock()
		return t, nil
	}
	p.targets[key] = t
	p.mu.Unlock()
	if p.opts.Warn != nil {
		for _, w := range t.Warnings {
			p.opts.Warn(w)
		}
	}
	return t, nil
}

// get returns the live connection under key, or dials it once for every
// concurrent caller. The dial is not tied to the first caller's context
// (others may be waiting on it; it is bounded by the connect and handshake
// timeouts, and by Close); each caller stops waiting when its own context
// is done.
func (p *Pool) get(ctx context.Context, key string, dial func(context.Context) (*Conn, error)) (*Conn, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errors.New("ssh pool is closed")
	}
	e, ok := p.conns[key]
	if ok {
		select {
		case <-e.ready:
			if e.err != nil || e.conn.Lost() != nil {
				ok = false // failed or lost: dial again
			}
		default:
		}
	}
	if !ok {
		e = &entry{ready: make(chan struct{})}
		p.conns[key] = e
		go func() {
			e.conn, e.err = dial(p.life)
			close(e.ready)
		}()
	}
	p.mu.Unlock()
	select {
	case <-e.ready:
		return e.conn, e.err
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the connection (%s): %w", key, ctx.Err())
	}
}

// Close closes every connection, hosts before the bastions they go through.
func (p *Pool) Close() error {
	p.stopLife()
	p.mu.Lock()
	p.closed = true
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	var hosts, jumps []*Conn
	for key, e := range conns {
		<-e.ready
		if e.conn == nil {
			continue
		}
		if strings.HasPrefix(key, "jump ") {
			jumps = append(jumps, e.conn)
		} else {
			hosts = append(hosts, e.conn)
		}
	}
	for _, c := range append(hosts, jumps...) {
		c.close()
	}
	if p.agentConn != nil {
		p.agentConn.Close()
	}
	return nil
}

// agent returns the user's agent, dialled once per Pool.
func (p *Pool) agent() agent.Agent {
	if p.opts.Agent != nil || p.opts.NoAgent {
		return p.opts.Agent
	}
	p.agentOnce.Do(func() {
		sock := os.Getenv("SSH_AUTH_SOCK")
		if sock == "" {
			return
		}
		c, err := net.Dial("unix", sock)
		if err != nil {
			if p.opts.Warn != nil {
				p.opts.Warn(fmt.Sprintf("ssh-agent at SSH_AUTH_SOCK=%s: %v; using identity files only", sock, err))
			}
			return
		}
		p.agentConn = c
		p.agentClient = agent.NewClient(c)
	})
	if p.agentClient == nil {
		return nil
	}
	return p.agentClient
}

// clientConfig is the ssh.ClientConfig for t; the caller sets nothing else.
func (p *Pool) clientConfig(t Target) (*ssh.ClientConfig, error) {
	hk, err := newHostKeyCheck(t, p.opts.AcceptNew)
	if err != nil {
		return nil, err
	}
	keys, err := signers(t, p.agent(), p.opts.Passphrase)
	if err != nil {
		return nil, err
	}
	user := t.User
	if user == "" { // ssh -G always prints one; a fake resolver may not
		if u, err := osuser.Current(); err == nil {
			user = u.Username
		}
	}
	return &ssh.ClientConfig{
		User:              user,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(keys...)},
		HostKeyCallback:   hk.callback,
		HostKeyAlgorithms: hk.algorithms,
	}, nil
}
