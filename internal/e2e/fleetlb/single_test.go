//go:build integration

package fleetlb

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// ask is one agent-check by hand: connect to h's agent port, send line,
// read the answer.
func ask(t *testing.T, h *e2etest.Host, port int, line string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", fmt.Sprintf("%s:%d", h.Addr(), port), 2*time.Second)
	if err != nil {
		t.Fatalf("%s: agent port %d: %v", h.Name(), port, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(line)); err != nil {
		t.Fatal(err)
	}
	answer, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("%s: agent answer to %q: %q, %v", h.Name(), line, answer, err)
	}
	return answer
}

// One host, one HAProxy: systemd's socket activation answers agent checks
// (by hand, garbage too, and HAProxy's own), and `sysroll deploy` on the
// host drains every instance through the agent with no failed request.
func TestAgentOnOneHost(t *testing.T) {
	f := e2etest.SharedFleet(t)
	h1 := f.Host("h1")
	s := newService(t, "flb-one", 25492, []*e2etest.Host{h1}, 25421, 25422)
	for _, c := range []struct{ send, want string }{
		{"flb-one/25421\n", "ready up\n"},
		{"flb-one/9999\n", "ready up\n"},
		{"\x16\x03\x01garbage", "ready up\n"},
	} {
		if got := ask(t, h1, s.agent, c.send); got != c.want {
			t.Errorf("agent answered %q to %q, want %q", got, c.send, c.want)
		}
	}
	l := startLB(t, s, 25496)
	// HAProxy's checks reach the agent: its answer is recorded.
	deadline := time.Now().Add(5 * time.Second)
	for !strings.HasPrefix(h1.MustExec(t, "sh", "-c", "cat /var/lib/sysroll/flb-one/agent/25422.asked 2>/dev/null || true"), "ready ") {
		if time.Now().After(deadline) {
			t.Fatal("HAProxy's agent-check never reached h1's agent for 25422")
		}
		time.Sleep(100 * time.Millisecond)
	}

	stop := load(l)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := "/srv/flb/flb-one/v2"
	if err := h1.Container().WriteFile(dir+"/hello", []byte(e2etest.HelloScript("v2", "")), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := h1.Exec(ctx, e2etest.BinDir+"/sysroll", "deploy", s.name, "--artifact", dir, "--version", "v2")
	snap := stop()
	if err != nil {
		t.Fatalf("deploy v2 on h1: %v\n%s", err, out)
	}
	t.Logf("sysroll deploy on h1: %s", time.Since(start).Round(time.Millisecond))
	checkLoad(t, snap, time.Since(start))
	if got := s.releases(h1); got != s.want("v2") {
		t.Errorf("h1: instances %s, want %s", got, s.want("v2"))
	}
	if got, want := strings.Join(l.drained(), " "), strings.Join(l.servers, " "); got != want {
		t.Errorf("HAProxy showed in DRAIN: %s; want every server: %s", got, want)
	}
	// Failed agent calls (the garbage above) leave no failed unit behind.
	if failed := h1.MustExec(t, "systemctl", "list-units", "--failed", "--no-legend", "flb-one.agent@*"); strings.TrimSpace(failed) != "" {
		t.Errorf("failed agent units left: %s", failed)
	}
}
