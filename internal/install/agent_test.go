package install

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// withAgent adds the HAProxy agent-check units to d.
func withAgent(d Desired, socket string) Desired {
	d.AgentSocket = "hello.agent.socket"
	d.Files = append(d.Files,
		File{Name: "hello.agent.socket", Data: []byte(socket)},
		File{Name: "hello.agent@.service", Data: []byte("[Service]\n")})
	return d
}

// The agent socket is enabled and started with the service, restarted
// when it changes, stopped and disabled when the service file drops it,
// and removed by uninstall.
func TestAgentSocket(t *testing.T) {
	e := newEnv(t)
	base := desiredFor([]string{"8081"}, "v1\n")
	e.apply(t, withAgent(base, "[Socket]\nListenStream=9700\n"))
	ops := e.ops()
	for _, want := range []string{"enable hello.target hello.agent.socket", "start hello.agent.socket"} {
		if !slices.Contains(ops, want) {
			t.Errorf("first apply: calls %v lack %q", ops, want)
		}
	}
	e.apply(t, withAgent(base, "[Socket]\nListenStream=9701\n"))
	if ops := e.ops(); !slices.Contains(ops, "restart hello.agent.socket") {
		t.Errorf("changed socket: calls %v lack a restart", ops)
	}
	e.apply(t, base)
	ops = e.ops()
	for _, want := range []string{"stop hello.agent.socket", "disable hello.agent.socket"} {
		if !slices.Contains(ops, want) {
			t.Errorf("dropped agent: calls %v lack %q", ops, want)
		}
	}
	for _, f := range []string{"hello.agent.socket", "hello.agent@.service"} {
		if _, err := os.Stat(filepath.Join(e.in.UnitDir, f)); !os.IsNotExist(err) {
			t.Errorf("%s left after the agent was dropped: %v", f, err)
		}
	}
	e.apply(t, withAgent(base, "[Socket]\nListenStream=9700\n"))
	if err := e.in.Uninstall(context.Background(), "hello", true); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(e.in.UnitDir); len(entries) != 0 {
		t.Errorf("unit files left: %v", entries)
	}
	if s, _ := e.fake.State("hello.agent.socket"); s.Running() {
		t.Error("agent socket still listening after uninstall")
	}
}
