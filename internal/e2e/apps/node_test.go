//go:build integration

package apps

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// needsNode skips unless /usr/bin/node is a working Node.js (on the machine
// this was written on, the nodejs package's /usr/bin/node had been replaced
// by a script that exits 0).
func needsNode(t *testing.T) {
	t.Helper()
	out, err := exec.Command("/usr/bin/node", "-e", "console.log(process.version)").Output()
	if err != nil || !strings.HasPrefix(string(out), "v") {
		t.Skipf("/usr/bin/node is not a working Node.js here (%q, %v); scripts/deps.sh installs nodejs", out, err)
	}
}

// Node per port with the README's settings: PORT comes from environment:
// {PORT: "{port}"}, and each instance reports the PORT it got.
func TestNodePerPort(t *testing.T) {
	needsNode(t)
	t.Parallel()
	lifecycle(t, app{name: "napp", file: "node.yaml", dir: "node", n: 3, check: func(t *testing.T, version string) {
		t.Helper()
		for _, p := range ports(24321, 3) {
			deadline := time.Now().Add(5 * time.Second)
			want := fmt.Sprintf("hello from %s PORT=%d", version, p)
			for {
				body := get(t, fmt.Sprintf("http://127.0.0.1:%d/", p))
				if body == want {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("instance %d: %q, want %q", p, body, want)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	}})
}

// Node with the default sandbox: V8 aborts under MemoryDenyWriteExecute=,
// and the failure names the key.
func TestNodeBlockedNamesTheKey(t *testing.T) {
	needsNode(t)
	t.Parallel()
	blocked(t, "nblock", "nblock.yaml", "node", "hardening.memory_deny_write_execute", "set hardening.memory_deny_write_execute: false", "# Check failed: 12 == (*__errno_location ()).")
}
