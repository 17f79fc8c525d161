package sshx

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	gliderssh "github.com/gliderlabs/ssh"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
)

// testServer is an in-process SSH server on 127.0.0.1 that runs each exec
// request with `sh -c` in a temp dir, so quoting is tested by a real shell.
type testServer struct {
	t       *testing.T
	srv     *gliderssh.Server
	addr    string
	port    int
	dir     string
	hostPub []ssh.PublicKey // public halves of the host keys, in order

	execs     atomic.Int32 // exec requests that reached the handler
	agentReqs atomic.Int32 // sessions that asked for agent forwarding
	conns     atomic.Int32 // TCP connections accepted
	forwarded chan string  // direct-tcpip destinations (jump tests)
	ended     chan string  // commands whose session ended (cancel tests)

	mu      sync.Mutex
	offered []string // client public keys offered, as SHA256 fingerprints
}

type serverOpt func(*gliderssh.Server, *testServer)

// withHostKeys replaces the default (one ed25519) host keys.
func withHostKeys(signers ...ssh.Signer) serverOpt {
	return func(s *gliderssh.Server, ts *testServer) {
		s.HostSigners = nil
		ts.hostPub = nil
		for _, k := range signers {
			s.AddHostKey(k)
			ts.hostPub = append(ts.hostPub, k.PublicKey())
		}
	}
}

// asJumpHost lets the server forward direct-tcpip channels (a bastion).
func asJumpHost() serverOpt {
	return func(s *gliderssh.Server, ts *testServer) {
		s.LocalPortForwardingCallback = func(_ gliderssh.Context, host string, port uint32) bool {
			ts.forwarded <- net.JoinHostPort(host, strconv.Itoa(int(port)))
			return true
		}
		s.ChannelHandlers = map[string]gliderssh.ChannelHandler{
			"session":      gliderssh.DefaultSessionHandler,
			"direct-tcpip": gliderssh.DirectTCPIPHandler,
		}
	}
}

// withConnCallback runs fn before each connection's handshake.
func withConnCallback(fn func(gliderssh.Context, net.Conn) net.Conn) serverOpt {
	return func(s *gliderssh.Server, _ *testServer) { s.ConnCallback = fn }
}

// withAuth replaces the public key check.
func withAuth(fn gliderssh.PublicKeyHandler) serverOpt {
	return func(s *gliderssh.Server, _ *testServer) { s.PublicKeyHandler = fn }
}

// newTestServer starts a server accepting clientKey. It is closed when
// the test ends.
func newTestServer(t *testing.T, clientKey ssh.PublicKey, opts ...serverOpt) *testServer {
	t.Helper()
	ts := &testServer{t: t, dir: t.TempDir(), forwarded: make(chan string, 16), ended: make(chan string, 16)}
	srv := &gliderssh.Server{Handler: ts.handle}
	srv.PublicKeyHandler = func(ctx gliderssh.Context, key gliderssh.PublicKey) bool {
		ts.mu.Lock()
		ts.offered = append(ts.offered, ssh.FingerprintSHA256(key))
		ts.mu.Unlock()
		return string(key.Marshal()) == string(clientKey.Marshal())
	}
	host := newEd25519(t)
	srv.AddHostKey(host)
	ts.hostPub = []ssh.PublicKey{host.PublicKey()}
	for _, o := range opts {
		o(srv, ts)
	}
	inner := srv.ConnCallback
	srv.ConnCallback = func(ctx gliderssh.Context, c net.Conn) net.Conn {
		ts.conns.Add(1)
		if inner != nil {
			return inner(ctx, c)
		}
		return c
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.srv, ts.addr, ts.port = srv, l.Addr().String(), l.Addr().(*net.TCPAddr).Port
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ts
}

func (ts *testServer) handle(s gliderssh.Session) {
	ts.execs.Add(1)
	if gliderssh.AgentRequested(s) {
		ts.agentReqs.Add(1)
	}
	raw := s.RawCommand()
	defer func() { ts.ended <- raw }()
	cmd := exec.Command("sh", "-c", raw)
	cmd.Dir = ts.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // kill the whole command, not just sh
	cmd.Stdin, cmd.Stdout, cmd.Stderr = s, s, s.Stderr()
	if err := cmd.Start(); err != nil {
		_, _ = io.WriteString(s.Stderr(), err.Error())
		_ = s.Exit(127)
		return
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// Deliver "signal" requests to the command, as OpenSSH's sshd does.
	sigs := make(chan gliderssh.Signal, 1)
	s.Signals(sigs)
	select {
	case <-sigs:
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	case err := <-done:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			_ = s.Exit(exit.ExitCode())
			return
		}
		_ = s.Exit(0)
	case <-s.Context().Done():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// target is a Target for this server with the given known_hosts file.
func (ts *testServer) target(name, knownHosts string) Target {
	return Target{Name: name, HostName: "127.0.0.1", Port: ts.port, User: "deploy",
		UserKnownHostsFiles: []string{knownHosts}}
}

// knownName is the known_hosts name of this server, [127.0.0.1]:PORT.
func (ts *testServer) knownName() string { return xknownhosts.Normalize(ts.addr) }

// mapResolver is the fake Resolver: a fixed table.
type mapResolver map[string]Target

func (m mapResolver) Resolve(_ context.Context, host string) (Target, error) {
	t, ok := m[host]
	if !ok {
		return Target{}, errors.New("no such host in test resolver: " + host)
	}
	return t, nil
}

// testClient is a user key held by an in-memory agent.
type testClient struct {
	signer ssh.Signer
	agent  agent.Agent
}

func newTestClient(t *testing.T) testClient {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	kr := agent.NewKeyring()
	if err := kr.Add(agent.AddedKey{PrivateKey: priv}); err != nil {
		t.Fatal(err)
	}
	return testClient{signer: s, agent: kr}
}

// pool is a Pool over r with the client's agent and fast test timeouts.
func (c testClient) pool(t *testing.T, r Resolver, mod ...func(*Options)) *Pool {
	o := Options{Resolver: r, Agent: c.agent, HandshakeTimeout: 5 * time.Second, ConnectTimeout: 5 * time.Second}
	for _, m := range mod {
		m(&o)
	}
	p := NewPool(o)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func newEd25519(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rsaKey is generated once: RSA generation is the slow part of these tests.
var rsaKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

func newRSA(t *testing.T) ssh.Signer {
	t.Helper()
	k, err := rsaKey()
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// writeKnownHosts writes lines to a fresh known_hosts and returns its path.
func writeKnownHosts(t *testing.T, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// khLine is a plain known_hosts line for name.
func khLine(name string, key ssh.PublicKey) string {
	return xknownhosts.Line([]string{name}, key)
}

// hashedLine is a hashed known_hosts line, as `ssh-keyscan -H` writes
// (one salt per line).
func hashedLine(name string, key ssh.PublicKey) string {
	return strings.Replace(xknownhosts.Line([]string{name}, key), xknownhosts.Normalize(name), xknownhosts.HashHostname(xknownhosts.Normalize(name)), 1)
}
