//go:build integration

package fleetlb

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// A server line without agent-check (here: no HAProxy asks at all): the
// host step refuses before any instance is touched, naming the
// agent-check the server lines need. The host never begins a drain it
// cannot undo.
func TestNoAgentCheckRefuses(t *testing.T) {
	f := e2etest.SharedFleet(t)
	h1 := f.Host("h1")
	s := newService(t, "flb-none", 25493, []*e2etest.Host{h1}, 25431)
	before := h1.MustExec(t, "systemctl", "show", "-p", "ExecMainPID", "--value", "flb-none@25431.service")
	dir := "/srv/flb/flb-none/v2"
	if err := h1.Container().WriteFile(dir+"/hello", []byte(e2etest.HelloScript("v2", "")), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Exec returns stdout; the error is on stderr.
	out, err := h1.Exec(ctx, "sh", "-c", e2etest.BinDir+"/sysroll deploy "+s.name+" --artifact "+dir+" --version v2 2>&1")
	if err == nil {
		t.Fatalf("deploy with no agent-check passed:\n%s", out)
	}
	t.Logf("deploy refused: %v\n%s", err, out)
	for _, want := range []string{"no instance touched", `agent-send "flb-none/25431\n"`, "agent-port 25493"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("deploy's error lacks %q:\n%s", want, out)
		}
	}
	after := h1.MustExec(t, "systemctl", "show", "-p", "ExecMainPID", "--value", "flb-none@25431.service")
	if before != after || s.releases(h1) != s.want("v1") {
		t.Errorf("the instance was touched: pid %s -> %s, %s", strings.TrimSpace(before), strings.TrimSpace(after), s.releases(h1))
	}
}

// The opt-in: HAProxy's runtime API over TCP on a private network
// (`stats socket ipv4@PRIVATE:PORT level admin`, rollout.haproxy.socket:
// PRIVATE:PORT), here the machine's bridge address reached from h1.
// rollout.haproxy names servers by {instance} or {port} only, so in a
// fleet every host needs server names of its own; with one host it is
// the plain setup. Under load, nothing fails and HAProxy drained each.
func TestRuntimeAPIOverTCP(t *testing.T) {
	f := e2etest.SharedFleet(t)
	h1 := f.Host("h1")
	admin := fmt.Sprintf("%s:25495", f.Controller())
	rollout := fmt.Sprintf(`haproxy: {socket: "%s", backend: flb-tcp, server: "s{port}"}`, admin)
	// HAProxy first: apply checks nothing of it, deploy checks it all.
	s := &service{t: t, f: f, name: "flb-tcp", ports: []int{25441, 25442}, hosts: []*e2etest.Host{h1}}
	l := startLBLazy(t, s, 25494, lbOptions{tcpAdmin: admin, line: func(s *service, h *e2etest.Host, port int) (string, string) {
		return fmt.Sprintf("s%d", port), fmt.Sprintf("    server s%d %s:%d check inter %s rise 2 fall 1\n", port, h.Addr(), port, agentInter)
	}})
	s = newServiceWith(t, "flb-tcp", 0, rollout, []*e2etest.Host{h1}, 25441, 25442)
	l.waitUp()
	stop := load(l)
	start := time.Now()
	dir := "/srv/flb/flb-tcp/v2"
	if err := h1.Container().WriteFile(dir+"/hello", []byte(e2etest.HelloScript("v2", "")), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := h1.Exec(ctx, e2etest.BinDir+"/sysroll", "deploy", s.name, "--artifact", dir, "--version", "v2")
	snap := stop()
	if err != nil {
		t.Fatalf("deploy v2 through the TCP runtime API: %v\n%s", err, out)
	}
	checkLoad(t, snap, time.Since(start))
	if got, want := strings.Join(l.drained(), " "), strings.Join(l.servers, " "); got != want {
		t.Errorf("HAProxy showed in DRAIN: %s; want every server: %s", got, want)
	}
}
