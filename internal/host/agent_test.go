package host

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/drain"
	"github.com/sysroll/sysroll/internal/release"
)

// rollout.haproxy_agent becomes a drain.Agent on the service's agent
// directory; with rollout.haproxy too, both, the runtime API first.
func TestAgentDrainerFor(t *testing.T) {
	src := "name: hello\ncommand: /bin/hello\ninstances: [8081]\nrollout:\n  haproxy_agent: {listen: \"0.0.0.0:9700\", inter: 500ms, from: [\"::ffff:10.0.0.2\"]}\n"
	svc, err := config.Parse("hello.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	store, err := release.Open(filepath.Join(t.TempDir(), "hello"))
	if err != nil {
		t.Fatal(err)
	}
	a, ok := drainerFor(svc, store).(*drain.Agent)
	if !ok {
		t.Fatalf("drainerFor = %T, want *drain.Agent", drainerFor(svc, store))
	}
	if a.Inter != 500*time.Millisecond || a.UpWait != 4*time.Second || len(a.From) != 1 || a.From[0] != netip.MustParseAddr("10.0.0.2") {
		t.Errorf("agent %+v", a)
	}
	if files, ok := a.Store.(drain.AgentFiles); !ok || files.Dir != filepath.Join(store.Dir(), "agent") {
		t.Errorf("store %+v, want the agent files in %s/agent", a.Store, store.Dir())
	}
	if err := makeAgentDir(svc, store.Dir()); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(store.Dir(), "agent")); err != nil || !fi.IsDir() {
		t.Errorf("agent dir not made: %v", err)
	}

	svc, err = config.Parse("hello.yaml", []byte(src+"  haproxy: {backend: hello}\n"))
	if err != nil {
		t.Fatal(err)
	}
	m, ok := drainerFor(svc, store).(*drain.MultiDrainer)
	if !ok || m.Len() != 2 {
		t.Errorf("with both: %T, want a Multi of two", drainerFor(svc, store))
	}
}
