package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/drain"
	"github.com/sysroll/sysroll/internal/testbed"
)

// haproxyConfig is the e2e tests' balancer: a health check every 100 ms,
// one failure marks a server DOWN, no retries and no redispatch, so a
// request sent to a server that is not there fails instead of being moved
// quietly, and the count the demo shows is the truth.
const haproxyConfig = `global
    stats socket %[1]s mode 600 level admin
defaults
    mode http
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    timeout check 1s
    retries 0
    no option redispatch
frontend fe_%[2]s
    bind %[3]s
    default_backend %[2]s
backend %[2]s
    balance roundrobin
    option httpchk GET /healthz
%[4]s`

// balancer is a real HAProxy on the host, a child of the demo, in front of
// one service's per-port instances (servers s<port>). Its admin socket is
// created inside the container (through /proc/INITPID/root), where sysroll
// drains and undrains the servers.
type balancer struct {
	cmd *exec.Cmd
	api *drain.HAProxy
}

// startBalancer runs `haproxy -f CFG -db` with its files in dir and waits
// until every server is UP; on an error nothing is left running.
func startBalancer(ctx context.Context, c *testbed.Container, dir, backend, front, socket string, ports []int) (*balancer, error) {
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		return nil, fmt.Errorf("haproxy not installed (scripts/deps.sh installs it): %w", err)
	}
	if err := os.MkdirAll(c.Path(path.Dir(socket)), 0o755); err != nil {
		return nil, fmt.Errorf("haproxy socket directory: %w", err)
	}
	var servers strings.Builder
	for _, p := range ports {
		fmt.Fprintf(&servers, "    server s%d 127.0.0.1:%d check inter 100ms fall 1 rise 1\n", p, p)
	}
	cfg := filepath.Join(dir, "haproxy.cfg")
	text := fmt.Sprintf(haproxyConfig, c.Path(socket), backend, front, servers.String())
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		return nil, fmt.Errorf("haproxy config: %w", err)
	}
	logf, err := os.Create(filepath.Join(dir, "haproxy.log"))
	if err != nil {
		return nil, fmt.Errorf("haproxy log: %w", err)
	}
	defer logf.Close() // the child has its own copy
	b := &balancer{
		cmd: exec.Command(bin, "-f", cfg, "-db"),
		api: &drain.HAProxy{Socket: c.Path(socket), Backend: backend, Server: "s{instance}"},
	}
	b.cmd.Stdout, b.cmd.Stderr = logf, logf
	if err := b.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start haproxy: %w", err)
	}
	if err := b.waitUp(ctx, len(ports), 10*time.Second); err != nil {
		b.stop()
		log, _ := os.ReadFile(logf.Name())
		return nil, fmt.Errorf("%w\n%s", err, log)
	}
	return b, nil
}

func (b *balancer) waitUp(ctx context.Context, n int, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		stats, err := b.api.Servers(ctx)
		up := 0
		for _, st := range stats {
			if st.Status == drain.StatusUp {
				up++
			}
		}
		switch {
		case err == nil && up == n:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case time.Now().After(deadline):
			return fmt.Errorf("haproxy: %d of %d servers UP after %v (%v)", up, n, within, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop kills HAProxy by its PID and reaps it; a second call does nothing.
func (b *balancer) stop() {
	if b.cmd.ProcessState == nil {
		_ = b.cmd.Process.Kill()
		_ = b.cmd.Wait()
	}
}
