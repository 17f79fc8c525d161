package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/sysroll/sysroll/internal/drain"
)

// haproxyConfig is strict on purpose: no retries and no redispatch, so a
// request sent to a server that is going away fails instead of being
// quietly replayed elsewhere (a retrying balancer hides lost requests as
// latency). Checks every 100ms; one failure marks a server DOWN, two
// passes bring it back. Only abnormal requests and state changes are
// logged (to stdout, which is our log file), to explain every failure.
const haproxyConfig = `global
    stats socket %[1]s level admin mode 600
    log stdout format raw local0
defaults
    mode http
    log global
    option httplog
    option dontlog-normal
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout http-keep-alive 30s
    retries 0
    no option redispatch
    http-reuse safe
`

// backend is one method's frontend and servers in HAProxy.
type backend struct {
	name     string // also the frontend's name (prefixed fe-)
	frontend int    // port
	ports    []int  // one server per port, named s<port>
}

func renderHAProxy(socket string, backends []backend) string {
	var b strings.Builder
	fmt.Fprintf(&b, haproxyConfig, socket)
	for _, be := range backends {
		fmt.Fprintf(&b, "frontend fe-%s\n    bind 127.0.0.1:%d\n    default_backend %s\n", be.name, be.frontend, be.name)
		fmt.Fprintf(&b, "backend %s\n    balance roundrobin\n    option httpchk GET /healthz\n", be.name)
		for _, p := range be.ports {
			fmt.Fprintf(&b, "    server s%d 127.0.0.1:%d check inter 100ms fall 1 rise 2\n", p, p)
		}
	}
	return b.String()
}

// haproxy is HAProxy running in the foreground as our child.
type haproxy struct {
	socket string // admin socket, host path
	log    string // its output
	cmd    *exec.Cmd
	exited chan struct{}
}

// startHAProxy writes the config into dir and runs `haproxy -f cfg -db`.
func startHAProxy(ctx context.Context, dir string, backends []backend) (*haproxy, error) {
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		return nil, fmt.Errorf("haproxy not installed (scripts/deps.sh installs it): %w", err)
	}
	h := &haproxy{socket: filepath.Join(dir, "admin.sock"), log: filepath.Join(dir, "haproxy.log"), exited: make(chan struct{})}
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(renderHAProxy(h.socket, backends)), 0o600); err != nil {
		return nil, err
	}
	if out, err := exec.CommandContext(ctx, bin, "-c", "-q", "-f", cfg).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("haproxy config check: %w\n%s", err, out)
	}
	logf, err := os.Create(h.log)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	h.cmd = exec.Command(bin, "-f", cfg, "-db")
	h.cmd.Stdout, h.cmd.Stderr = logf, logf
	// Its own process group, so a Ctrl-C reaches only us (we then end it
	// by PID); killed with us if we die.
	h.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := h.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start haproxy: %w", err)
	}
	go func() { _ = h.cmd.Wait(); close(h.exited) }()

	// Wait for the admin socket to answer.
	api := &drain.HAProxy{Socket: h.socket, Backend: backends[0].name}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := api.Servers(ctx); err == nil {
			return h, nil
		} else if time.Now().After(deadline) || ctx.Err() != nil {
			h.stop()
			return nil, fmt.Errorf("haproxy did not come up: %w\n%s", err, tail(h.log, 20))
		}
		select {
		case <-h.exited:
			return nil, fmt.Errorf("haproxy exited\n%s", tail(h.log, 20))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop kills haproxy (our child, by PID) and waits for it.
func (h *haproxy) stop() {
	select {
	case <-h.exited:
		return
	default:
	}
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.exited:
	case <-time.After(3 * time.Second):
		_ = h.cmd.Process.Kill()
		<-h.exited
	}
}

// servers reads a backend's servers through the runtime API.
func (h *haproxy) servers(ctx context.Context, be string) ([]drain.ServerStat, error) {
	return (&drain.HAProxy{Socket: h.socket, Backend: be}).Servers(ctx)
}

// waitUp waits until every server of be is UP and in traffic.
func (h *haproxy) waitUp(ctx context.Context, be string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		stats, err := h.servers(ctx, be)
		if err == nil && len(stats) > 0 && allInTraffic(stats) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("haproxy backend %s: not every server UP after %s: %s", be, timeout, describeServers(stats, err))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func allInTraffic(stats []drain.ServerStat) bool {
	for _, s := range stats {
		if !s.InTraffic() {
			return false
		}
	}
	return true
}

func describeServers(stats []drain.ServerStat, err error) string {
	if err != nil {
		return err.Error()
	}
	var parts []string
	for _, s := range stats {
		parts = append(parts, fmt.Sprintf("%s %s", s.Name, s.Status))
	}
	return strings.Join(parts, ", ")
}

// logSize is the current length of haproxy's log, to read what a
// scenario added with logSince.
func (h *haproxy) logSize() int64 {
	fi, err := os.Stat(h.log)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// logSince returns the log lines written after offset that mention be.
func (h *haproxy) logSince(offset int64, be string) []string {
	b, err := os.ReadFile(h.log)
	if err != nil || int64(len(b)) < offset {
		return nil
	}
	var out []string
	for _, line := range bytes.Split(b[offset:], []byte("\n")) {
		if bytes.Contains(line, []byte(be)) {
			out = append(out, string(line))
		}
	}
	return out
}

// tail is the last n lines of a file, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// haproxyEvidence condenses HAProxy's log of a scenario into a few lines:
// the servers' state changes in order (when HAProxy noticed, and how many
// servers were left UP), and the failed requests counted by server, status
// and termination state (e.g. "SC--": the connection to the server failed,
// "<NOSRV>": no server was UP; "SH--": the server closed before answering).
func haproxyEvidence(lines []string) []string {
	var changes []string
	counts := map[string]int{}
	var order []string
	for _, line := range lines {
		f := strings.Fields(line)
		switch {
		case strings.HasPrefix(line, "["):
			// "[WARNING]  (pid) : ..." on stderr repeats a log line.
		case len(f) >= 10 && strings.HasPrefix(f[1], "[") && strings.Contains(f[3], "/"):
			// client [date] frontend backend/server timers status bytes - - termination ...
			k := fmt.Sprintf("%s %s %s", f[3], f[5], f[9])
			if counts[k] == 0 {
				order = append(order, k)
			}
			counts[k]++
		case len(f) >= 4 && f[0] == "Server" && f[2] == "is":
			srv := f[1][strings.Index(f[1], "/")+1:]
			change := srv + " " + strings.TrimSuffix(f[3], ",")
			if _, after, ok := strings.Cut(line, ". "); ok {
				if n := strings.Fields(after); len(n) > 0 {
					change += " (" + n[0] + " up)"
				}
			}
			changes = append(changes, change)
		case strings.Contains(line, "has no server available"):
			changes = append(changes, "NO SERVER")
		}
	}
	var out []string
	if len(changes) > 0 {
		out = append(out, "haproxy states: "+strings.Join(changes, " → "))
	}
	for _, k := range order {
		out = append(out, fmt.Sprintf("haproxy: %d× %s", counts[k], k))
	}
	return out
}
