//go:build integration

package apps

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// needsNode fails unless /usr/bin/node is a working Node.js: scripts/deps.sh
// installs one (Debian's, when the installed package's /usr/bin/node is a
// stub that exits 0, as on the machine this was written on). Not a skip:
// a Node test that did not run must not look like one that passed.
func needsNode(t *testing.T) {
	t.Helper()
	out, err := exec.Command("/usr/bin/node", "-e", "console.log(process.version)").Output()
	if err != nil || !strings.HasPrefix(string(out), "v") {
		t.Fatalf("/usr/bin/node is not a working Node.js (%q, %v): run scripts/deps.sh as root", out, err)
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
// and the failure names the key. V8's last words differ: Node.js 20's
// "Check failed: 12 == errno" (the newcomer notes), Debian 12's Node.js 18
// "Fatal javascript OOM ... during deserialization" (measured here).
func TestNodeBlockedNamesTheKey(t *testing.T) {
	needsNode(t)
	t.Parallel()
	blocked(t, "nblock", "nblock.yaml", "node", "hardening.memory_deny_write_execute", "set hardening.memory_deny_write_execute: false", "# Check failed: 12 == (*__errno_location ()).",
		"# Fatal javascript OOM in MemoryChunk allocation failed during deserialization.")
}
