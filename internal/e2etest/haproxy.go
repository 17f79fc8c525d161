package e2etest

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
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/drain"
	"github.com/sysroll/sysroll/internal/testbed"
)

// HAProxySocketDir holds the admin sockets inside the container. HAProxy,
// on the host, creates them through /proc/INITPID/root, so sysroll inside
// sees a plain unix socket path and the test reaches the same socket from
// outside.
const HAProxySocketDir = "/run/zd-haproxy"

// haproxyConfig: health checks every 100ms, one failure marks a server
// DOWN (rise passes bring it back); no retries and no redispatch, so a request sent to a server that is not
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

// HAProxy is a real HAProxy, a child process of the test, in front of a
// service's per-port instances (servers s<port>).
type HAProxy struct {
	t        testing.TB
	backend  string
	frontend string // host:port clients use
	// Socket and UserSocket are the admin (level admin) and a level user
	// socket, as paths inside the container.
	Socket, UserSocket string
	// API reaches the admin socket from the host.
	API *drain.HAProxy
}

// HAProxyOptions describe the HAProxy in front of one service.
type HAProxyOptions struct {
	Backend  string // the service's name: backend, frontend and socket names
	Ports    []int  // one server s<port> per instance port
	Frontend int    // the port clients use
	Balance  string // balance algorithm, e.g. first or roundrobin
	Rise     int    // passed checks that bring a server back UP; default 1
	TCPAdmin int    // if > 0, also an admin socket on 127.0.0.1:TCPAdmin
}

// StartHAProxy runs `haproxy -f CFG -db` in front of the service and waits
// until every server is UP. Cleanup kills it by PID.
func StartHAProxy(t testing.TB, o HAProxyOptions) *HAProxy {
	t.Helper()
	if o.Rise == 0 {
		o.Rise = 1
	}
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Fatalf("haproxy not installed (scripts/deps.sh installs it): %v", err)
	}
	c := testbed.Shared(t)
	if r := Run(t, "mkdir", "-p", HAProxySocketDir); r.Code != 0 {
		t.Fatalf("mkdir %s: %s", HAProxySocketDir, r)
	}
	h := &HAProxy{
		t: t, backend: o.Backend,
		frontend:   fmt.Sprintf("127.0.0.1:%d", o.Frontend),
		Socket:     path.Join(HAProxySocketDir, o.Backend+".sock"),
		UserSocket: path.Join(HAProxySocketDir, o.Backend+"-user.sock"),
	}
	var servers strings.Builder
	for _, p := range o.Ports {
		fmt.Fprintf(&servers, "    server s%d 127.0.0.1:%d check inter 100ms fall 1 rise %d\n", p, p, o.Rise)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "haproxy.cfg")
	tcp := ""
	if o.TCPAdmin > 0 {
		tcp = fmt.Sprintf("    stats socket ipv4@127.0.0.1:%d level admin\n", o.TCPAdmin)
	}
	text := fmt.Sprintf(haproxyConfig, c.Path(h.Socket), c.Path(h.UserSocket), o.Backend, o.Frontend, o.Balance, servers.String(), tcp)
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &lockedWriter{mu: &sync.Mutex{}, w: &bytes.Buffer{}}
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
	h.API = &drain.HAProxy{Socket: c.Path(h.Socket), Backend: o.Backend, Server: "s{instance}"}

	deadline := time.Now().Add(10 * time.Second)
	for {
		stats, err := h.API.Servers(t.Context())
		up := 0
		for _, st := range stats {
			if st.Status == drain.StatusUp {
				up++
			}
		}
		if err == nil && up == len(o.Ports) {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("haproxy not ready after 10s: %v %v\n%s", stats, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// RolloutLine is the service file's rollout.haproxy entry for this HAProxy.
func (h *HAProxy) RolloutLine() string {
	return fmt.Sprintf(`haproxy: {socket: %s, backend: %s, server: "s{instance}"}`, h.Socket, h.backend)
}

// URL is the frontend URL of p.
func (h *HAProxy) URL(p string) string { return "http://" + h.frontend + p }

// Stat returns one server's row of show stat.
func (h *HAProxy) Stat(server string) drain.ServerStat {
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

// WaitStatus waits until server shows status in show stat.
func (h *HAProxy) WaitStatus(server, status string, within time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(within)
	for h.Stat(server).Status != status {
		if time.Now().After(deadline) {
			h.t.Fatalf("server %s is %q, not %q after %s", server, h.Stat(server).Status, status, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ServerState is one row of `show servers state`: HAProxy's operational
// and administrative state of a server, not the derived status column.
type ServerState struct {
	Name            string
	OpState, Admins string // srv_op_state (2: running), srv_admin_state (0: no drain/maint flag)
}

// States reads `show servers state BE` over the admin socket.
func (h *HAProxy) States() []ServerState {
	h.t.Helper()
	text, err := rawCommand(h.t.Context(), h.API.Socket, "show servers state "+h.backend)
	if err != nil {
		h.t.Fatal(err)
	}
	var col map[string]int
	var out []ServerState
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
			out = append(out, ServerState{Name: f[col["srv_name"]], OpState: f[col["srv_op_state"]], Admins: f[col["srv_admin_state"]]})
		}
	}
	if len(out) == 0 {
		h.t.Fatalf("show servers state %s: no servers in %q", h.backend, text)
	}
	return out
}

// AssertAllUp checks, at once, that no server is in drain or maintenance
// and every one is UP, by both show stat and show servers state.
func (h *HAProxy) AssertAllUp(when string) {
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
	for _, s := range h.States() {
		if s.OpState != "2" || s.Admins != "0" {
			h.t.Errorf("%s: show servers state: %s op_state %s admin_state %s, want 2 (running) and 0 (no drain/maint)",
				when, s.Name, s.OpState, s.Admins)
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

// Drained reports whether HAProxy has server in drain (admin state flag
// SRV_ADMF_DRAIN, 0x08), whatever its health.
func (h *HAProxy) Drained(server string) bool {
	for _, s := range h.States() {
		if s.Name == server {
			n, err := strconv.Atoi(s.Admins)
			return err == nil && n&0x08 != 0
		}
	}
	return false
}
