//go:build integration

package fleetlb

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/drain"
	"github.com/sysroll/sysroll/internal/e2etest"
)

// lbConfig: HAProxy's defaults where they matter to the test (retries 0,
// no redispatch: a request sent to a server that is not there fails
// instead of being moved quietly), and http-server-close, so that no idle
// pooled connection to a drained server stays open (the host counts them).
const lbConfig = `global
    stats socket %[1]s mode 600 level admin
%[5]sdefaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout check 1s
    retries 0
    no option redispatch
frontend fe
    bind 127.0.0.1:%[2]d
    default_backend %[3]s
backend %[3]s
    balance roundrobin
    option httpchk GET /healthz
    option http-server-close
%[4]s`

// lb is one real HAProxy on the machine in front of every host's instances.
type lb struct {
	t       *testing.T
	api     *drain.HAProxy
	front   int
	servers []string

	mu   sync.Mutex
	seen map[string]map[string]bool // server -> statuses seen by watch
}

// serverLine is the line docs/haproxy-fleet.md tells operators to write.
func serverLine(s *service, h *e2etest.Host, port int) string {
	inter := agentInter.String()
	return fmt.Sprintf("    server %s-%d %s:%d check inter %s rise 2 fall 1 agent-check agent-addr %s agent-port %d agent-send \"%s/%d\\n\" agent-inter %s\n",
		h.Name(), port, h.Addr(), port, inter, h.Addr(), s.agent, s.name, port, inter)
}

// lbOptions change startLB's HAProxy for the runtime API option.
type lbOptions struct {
	// tcpAdmin, if set, is a second admin socket, ipv4@ADDR:PORT, for the
	// hosts' rollout.haproxy.socket.
	tcpAdmin string
	// line renders a server line; default serverLine (agent-check).
	line func(s *service, h *e2etest.Host, port int) (name, line string)
}

// startLB runs haproxy with one backend holding s's instances on every
// host of s, waits until all are UP and watches show stat until the test
// ends. Cleanup kills it by PID.
func startLB(t *testing.T, s *service, front int) *lb {
	t.Helper()
	return startLBWith(t, s, front, lbOptions{})
}

func startLBWith(t *testing.T, s *service, front int, o lbOptions) *lb {
	t.Helper()
	l := startLBLazy(t, s, front, o)
	l.waitUp()
	return l
}

// waitUp waits until HAProxy has every server UP.
func (l *lb) waitUp() {
	t := l.t
	t.Helper()
	ctx := t.Context()
	deadline := time.Now().Add(15 * time.Second)
	for {
		stats, err := l.api.Servers(ctx)
		up := 0
		for _, st := range stats {
			if st.Status == drain.StatusUp {
				up++
			}
		}
		if err == nil && up == len(l.servers) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("haproxy: not every server UP after 15s: %v %v", stats, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startLBLazy is startLBWith without waiting for the servers.
func startLBLazy(t *testing.T, s *service, front int, o lbOptions) *lb {
	t.Helper()
	if o.line == nil {
		o.line = func(s *service, h *e2etest.Host, port int) (string, string) {
			return fmt.Sprintf("%s-%d", h.Name(), port), serverLine(s, h, port)
		}
	}
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Fatalf("haproxy not installed (scripts/deps.sh installs it): %v", err)
	}
	dir := t.TempDir()
	l := &lb{t: t, front: front, seen: map[string]map[string]bool{}}
	l.api = &drain.HAProxy{Socket: filepath.Join(dir, "admin.sock"), Backend: s.name}
	var servers strings.Builder
	for _, h := range s.hosts {
		for _, p := range s.ports {
			name, line := o.line(s, h, p)
			servers.WriteString(line)
			l.servers = append(l.servers, name)
		}
	}
	cfg := filepath.Join(dir, "haproxy.cfg")
	tcp := ""
	if o.tcpAdmin != "" {
		tcp = "    stats socket ipv4@" + o.tcpAdmin + " level admin\n"
	}
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(lbConfig, l.api.Socket, front, s.name, servers.String(), tcp)), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	var logMu sync.Mutex
	cmd := exec.Command(bin, "-f", cfg, "-db")
	cmd.Stdout = &lockedBuf{mu: &logMu, b: &logs}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	watched := make(chan struct{})
	t.Cleanup(func() {
		stop()
		<-watched
		_ = cmd.Process.Kill() // our child, by PID
		_ = cmd.Wait()
		if t.Failed() {
			logMu.Lock()
			t.Logf("haproxy output:\n%s", logs.String())
			logMu.Unlock()
		}
	})
	go func() {
		defer close(watched)
		for ctx.Err() == nil {
			if stats, err := l.api.Servers(ctx); err == nil {
				l.mu.Lock()
				for _, st := range stats {
					if l.seen[st.Name] == nil {
						l.seen[st.Name] = map[string]bool{}
					}
					l.seen[st.Name][st.Status] = true
				}
				l.mu.Unlock()
			}
			time.Sleep(25 * time.Millisecond)
		}
	}()
	return l
}

// URL is the frontend's URL of p.
func (l *lb) URL(p string) string { return fmt.Sprintf("http://127.0.0.1:%d%s", l.front, p) }

// drained lists the servers HAProxy showed in DRAIN at some point.
func (l *lb) drained() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, srv := range l.servers {
		for st := range l.seen[srv] {
			if strings.HasPrefix(st, drain.StatusDrain) {
				out = append(out, srv)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

type lockedBuf struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w *lockedBuf) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
