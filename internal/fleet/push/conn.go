package push

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pkg/sftp"

	"github.com/sysroll/sysroll/internal/sshx"
)

// Defaults for Options.
const (
	DefaultRoot       = "/var/lib/sysroll"
	DefaultKeep       = 3
	DefaultStaleAfter = time.Minute
	// DefaultConcurrency is how many 32 KiB writes are in flight per file:
	// 64 cover a 2 MiB window, enough for 100 Mbit/s at 150 ms.
	DefaultConcurrency = 64
)

// Options configure a Conn. Zero values take the defaults above.
type Options struct {
	// Root is the host's sysroll state directory.
	Root string
	// Keep is how many builds of the binary stay in Root/.bin.
	Keep int
	// StaleAfter is how long a temp file must be untouched (host clock)
	// before an Ensure removes it as left by a dead upload.
	StaleAfter time.Duration
	// Concurrency bounds the writes in flight per file.
	Concurrency int
}

func (o Options) withDefaults() Options {
	if o.Root == "" {
		o.Root = DefaultRoot
	}
	if o.Keep <= 0 {
		o.Keep = DefaultKeep
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = DefaultStaleAfter
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	return o
}

// runFunc runs argv on the host: sshx.Pool.Run's shape.
type runFunc func(ctx context.Context, argv []string) (stdout, stderr []byte, code int, err error)

// currentFunc returns the host's SSH connection now (the pool redials a
// lost one), as a key: a session on a connection since replaced is dead.
type currentFunc func(ctx context.Context) (key any, err error)

// openFunc opens an SFTP session on the connection key.
type openFunc func(key any, opts ...sftp.ClientOption) (*sftp.Client, error)

// Conn is one host as push uses it: commands through the pool, and one
// SFTP session opened on first use and reused for every file. Safe for
// concurrent use, but a ctx ending mid-copy closes the shared session,
// failing the other copies in flight on it: push one file at a time per
// host. Close it when done with the host.
type Conn struct {
	host    string
	opts    Options
	run     runFunc
	current currentFunc
	open    openFunc
	// uid, gid own every file and directory made: root (0) but in unit
	// tests, which run as whoever runs them.
	uid, gid int

	mu     sync.Mutex
	client *sftp.Client
	key    any
	info   *hostInfo
}

// NewConn returns the Conn to host over pool's connection to it.
func NewConn(pool *sshx.Pool, host string, opts Options) *Conn {
	run := func(ctx context.Context, argv []string) ([]byte, []byte, int, error) {
		return pool.Run(ctx, host, argv, nil)
	}
	current := func(ctx context.Context) (any, error) { return pool.Conn(ctx, host) }
	open := func(key any, o ...sftp.ClientOption) (*sftp.Client, error) {
		return sftp.NewClient(key.(*sshx.Conn).Client(), o...)
	}
	return newConn(host, opts, run, current, open)
}

func newConn(host string, opts Options, run runFunc, current currentFunc, open openFunc) *Conn {
	return &Conn{host: host, opts: opts.withDefaults(), run: run, current: current, open: open}
}

// Host is the host's name.
func (c *Conn) Host() string { return c.host }

// Close ends the SFTP session (the SSH connection is the pool's).
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client == nil {
		return nil
	}
	err := c.client.Close()
	c.client, c.key = nil, nil
	return err
}

// sftp returns the host's session, opening it when there is none or its
// SSH connection was replaced.
func (c *Conn) sftp(ctx context.Context) (*sftp.Client, error) {
	cl, _, err := c.session(ctx)
	return cl, err
}

// session is sftp with the key of the connection under the session.
func (c *Conn) session(ctx context.Context) (*sftp.Client, any, error) {
	key, err := c.current(ctx) // cheap while the connection lives
	if err != nil {
		return nil, nil, fmt.Errorf("host %s: %w", c.host, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client != nil && c.key == key {
		return c.client, key, nil
	}
	if c.client != nil {
		c.client.Close() // its connection is gone
		c.client = nil
	}
	cl, err := c.open(key,
		sftp.UseConcurrentWrites(true),
		sftp.MaxConcurrentRequestsPerFile(c.opts.Concurrency),
		sftp.UseFstat(true))
	if err != nil {
		return nil, nil, fmt.Errorf("host %s: open the sftp session: %w (the host's sshd needs the sftp subsystem: on Debian, package openssh-sftp-server)", c.host, err)
	}
	c.client, c.key = cl, key
	return cl, key, nil
}

// lostError is the connection's loss (wrapping sshx.ErrConnLost) when key
// is a connection that is gone, else nil: sftp reports a lost connection
// as its own error, and callers must tell "host unreachable" (state
// unknown) from a refusal.
func lostError(key any) error {
	if l, ok := key.(interface{ Lost() error }); ok {
		return l.Lost()
	}
	return nil
}

// drop closes cl if it is still the current session, so the next call
// opens a fresh one: after ctx was done mid-transfer, or an error that may
// have broken the session.
func (c *Conn) drop(cl *sftp.Client) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client == cl && cl != nil {
		cl.Close()
		c.client, c.key = nil, nil
	}
}

// hostInfo is what one exec tells of the host.
type hostInfo struct {
	machine string        // uname -m
	skew    time.Duration // host clock minus ours, at the handshake
}

// now is the host's clock, as of the handshake's skew.
func (h *hostInfo) now() time.Time { return time.Now().Add(h.skew) }

// handshake asks the host its architecture and clock once per Conn.
func (c *Conn) handshake(ctx context.Context) (*hostInfo, error) {
	c.mu.Lock()
	info := c.info
	c.mu.Unlock()
	if info != nil {
		return info, nil
	}
	out, err := c.runOK(ctx, "sh", "-c", "uname -m && date +%s")
	if err != nil {
		return nil, err
	}
	lines := strings.Fields(string(out))
	if len(lines) != 2 {
		return nil, fmt.Errorf("host %s: uname -m && date +%%s said %q, want two lines", c.host, out)
	}
	secs, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("host %s: date +%%s said %q: %w", c.host, lines[1], err)
	}
	info = &hostInfo{machine: lines[0], skew: time.Until(time.Unix(secs, 0))}
	c.mu.Lock()
	c.info = info
	c.mu.Unlock()
	return info, nil
}

// runOK runs argv and returns its stdout; a non-zero exit is an error
// carrying stderr.
func (c *Conn) runOK(ctx context.Context, argv ...string) ([]byte, error) {
	out, errOut, code, err := c.run(ctx, argv)
	if err != nil {
		return nil, fmt.Errorf("host %s: %s: %w", c.host, strings.Join(argv, " "), err)
	}
	if code != 0 {
		return nil, fmt.Errorf("host %s: %s: exit %d: %s", c.host, strings.Join(argv, " "), code, bytes.TrimSpace(errOut))
	}
	return out, nil
}

// remoteSHA256 is sha256sum of path on the host.
func (c *Conn) remoteSHA256(ctx context.Context, path string) (string, error) {
	out, err := c.runOK(ctx, "sha256sum", "--", path)
	if err != nil {
		return "", err
	}
	f := strings.Fields(string(out))
	if len(f) == 0 || len(f[0]) != 64 {
		return "", fmt.Errorf("host %s: sha256sum %s said %q", c.host, path, out)
	}
	return strings.TrimPrefix(f[0], `\`), nil
}
