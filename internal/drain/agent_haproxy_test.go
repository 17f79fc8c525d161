package drain

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestWriteBackend(t *testing.T) {
	b := AgentBackend{
		Service: "hello", Instances: []string{"8081", "8082"},
		Port:      func(s string) (int, bool) { p, err := strconv.Atoi(s); return p, err == nil },
		AgentPort: 9700, Inter: 500 * time.Millisecond, Health: "/healthz",
		Hosts: []AgentHost{{Name: "h1", Addr: "10.0.0.11"}, {Name: "h2", Addr: "10.0.0.12"}},
	}
	var out strings.Builder
	if err := b.WriteBackend(&out); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "agent-backend.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != string(want) {
		t.Errorf("backend:\n%s\nwant testdata/agent-backend.golden:\n%s", out.String(), want)
	}
	b.Instances = []string{"web"}
	if err := b.WriteBackend(&out); err == nil || !strings.Contains(err.Error(), "no port") {
		t.Errorf("an instance without a port: %v", err)
	}
}
