//go:build integration

package zerodowntime

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/drain"
	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/testbed"
)

// socketDir holds the admin sockets inside the container. HAProxy, on the
// host, creates them through /proc/INITPID/root, so sysroll inside sees a
// plain unix socket path and the test reaches the same socket from outside.
const socketDir = "/run/zd-haproxy"

// haproxyConfig: health checks every 100ms, one result flips the state; no
// retries and no redispatch, so a request sent to a server that is not
// there fails instead of being moved quietly (a retrying balancer hides
// lost requests as latency).
const haproxyConfig = `global
    stats socket %[1]s mode 600 level admin
    stats socket %[2]s mode 600 level user
%[7]sdefaults
    mode http
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    timeout check 1s
    retries 0
    no option redispatch
frontend fe_%[3]s
    bind 127.0.0.1:%[4]d
    default_backend %[3]s
backend %[3]s
    balance %[5]s
    option httpchk GET /healthz
%[6]s`

// haproxy is a real HAProxy, a child process of the test, in front of a
// service's per-port instances (servers s<port>).
type haproxy struct {
	t        testing.TB
	backend  string
	frontend string // host:port clients use
	// Socket and UserSocket are the admin (level admin) and a level user
	// socket, as paths inside the container.
	Socket, UserSocket string
	// API reaches the admin socket from the host.
	API *drain.HAProxy
}

// startHAProxy runs `haproxy -f CFG -db` in front of s (per-port
// instances) with the given balance algorithm, and waits until every
// server is UP. With tcpAdmin > 0 it also has an admin socket on
// 127.0.0.1:tcpAdmin. Cleanup kills it by PID.
func startHAProxy(t testing.TB, s *service, frontendPort int, balance string, tcpAdmin int) *haproxy {
	t.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Fatalf("haproxy not installed (scripts/deps.sh installs it): %v", err)
	}
	c := testbed.Shared(t)
	if r := e2etest.Run(t, "mkdir", "-p", socketDir); r.Code != 0 {
		t.Fatalf("mkdir %s: %s", socketDir, r)
	}
	h := &haproxy{
		t: t, backend: s.name,
		frontend:   fmt.Sprintf("127.0.0.1:%d", frontendPort),
		Socket:     path.Join(socketDir, s.name+".sock"),
		UserSocket: path.Join(socketDir, s.name+"-user.sock"),
	}
	var servers strings.Builder
	for _, p := range s.ports {
		fmt.Fprintf(&servers, "    server s%d 127.0.0.1:%d check inter 100ms fall 1 rise 1\n", p, p)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "haproxy.cfg")
	tcp := ""
	if tcpAdmin > 0 {
		tcp = fmt.Sprintf("    stats socket ipv4@127.0.0.1:%d level admin\n", tcpAdmin)
	}
	text := fmt.Sprintf(haproxyConfig, c.Path(h.Socket), c.Path(h.UserSocket), s.name, frontendPort, balance, servers.String(), tcp)
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	cmd := exec.Command(bin, "-f", cfg, "-db")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // our child, by PID
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("haproxy output:\n%s", logs.String())
		}
	})
	h.API = &drain.HAProxy{Socket: c.Path(h.Socket), Backend: s.name, Server: "s{instance}"}

	deadline := time.Now().Add(10 * time.Second)
	for {
		stats, err := h.API.Servers(t.Context())
		up := 0
		for _, st := range stats {
			if st.Status == drain.StatusUp {
				up++
			}
		}
		if err == nil && up == len(s.ports) {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("haproxy not ready after 10s: %v %v\n%s", stats, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// rolloutLine is the service file's rollout.haproxy entry for this HAProxy.
func (h *haproxy) rolloutLine() string {
	return fmt.Sprintf(`haproxy: {socket: %s, backend: %s, server: "s{instance}"}`, h.Socket, h.backend)
}

// URL is the frontend URL of p.
func (h *haproxy) URL(p string) string { return "http://" + h.frontend + p }

// stat returns one server's row of show stat.
func (h *haproxy) stat(server string) drain.ServerStat {
	h.t.Helper()
	stats, err := h.API.Servers(h.t.Context())
	if err != nil {
		h.t.Fatal(err)
	}
	for _, s := range stats {
		if s.Name == server {
			return s
		}
	}
	h.t.Fatalf("no server %s in %v", server, stats)
	return drain.ServerStat{}
}

// waitStatus waits until server shows status in show stat.
func (h *haproxy) waitStatus(server, status string, within time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(within)
	for h.stat(server).Status != status {
		if time.Now().After(deadline) {
			h.t.Fatalf("server %s is %q, not %q after %s", server, h.stat(server).Status, status, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// serverState is one row of `show servers state`: HAProxy's operational
// and administrative state of a server, not the derived status column.
type serverState struct {
	name            string
	opState, admins string // srv_op_state (2: running), srv_admin_state (0: no drain/maint flag)
}

// states reads `show servers state BE` over the admin socket.
func (h *haproxy) states() []serverState {
	h.t.Helper()
	text, err := rawCommand(h.t.Context(), h.API.Socket, "show servers state "+h.backend)
	if err != nil {
		h.t.Fatal(err)
	}
	var col map[string]int
	var out []serverState
	for _, l := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(l, "# "):
			col = map[string]int{}
			for i, name := range strings.Fields(strings.TrimPrefix(l, "# ")) {
				col[name] = i
			}
		case col != nil && strings.TrimSpace(l) != "":
			f := strings.Fields(l)
			if len(f) <= col["srv_admin_state"] {
				h.t.Fatalf("show servers state: short row %q", l)
			}
			out = append(out, serverState{name: f[col["srv_name"]], opState: f[col["srv_op_state"]], admins: f[col["srv_admin_state"]]})
		}
	}
	if len(out) == 0 {
		h.t.Fatalf("show servers state %s: no servers in %q", h.backend, text)
	}
	return out
}

// assertAllUp checks, at once, that no server is in drain or maintenance
// and every one is UP, by both show stat and show servers state.
func (h *haproxy) assertAllUp(when string) {
	h.t.Helper()
	stats, err := h.API.Servers(h.t.Context())
	if err != nil {
		h.t.Fatal(err)
	}
	for _, s := range stats {
		if s.Status != drain.StatusUp {
			h.t.Errorf("%s: show stat says server %s is %q, want UP", when, s.Name, s.Status)
		}
	}
	for _, s := range h.states() {
		if s.opState != "2" || s.admins != "0" {
			h.t.Errorf("%s: show servers state: %s op_state %s admin_state %s, want 2 (running) and 0 (no drain/maint)",
				when, s.name, s.opState, s.admins)
		}
	}
}

// rawCommand sends one command to HAProxy's runtime API and returns the
// answer: the test's own client, independent of the drain package.
func rawCommand(ctx context.Context, socket, cmd string) (string, error) {
	var d net.Dialer
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if _, err := io.WriteString(conn, cmd+"\n"); err != nil {
		return "", err
	}
	b, err := io.ReadAll(conn)
	return string(b), err
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
