//go:build integration

package apps

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// nodeCopy is scripts/deps.sh's copy of a working Node.js binary.
const nodeCopy = "/usr/local/libexec/sysroll-test/node"

// needsNode returns a working Node.js binary, /usr/bin/node or deps.sh's
// copy of it (on the machine this was written on, /usr/bin/node was put
// back to a stub that exits 0 at times, even mid-run), or fails: a Node
// test that did not run must not look like one that passed.
func needsNode(t *testing.T) string {
	t.Helper()
	for _, bin := range []string{"/usr/bin/node", nodeCopy} {
		out, err := exec.Command(bin, "-e", "console.log(process.version)").Output()
		if err == nil && strings.HasPrefix(string(out), "v") {
			return bin
		}
	}
	t.Fatalf("neither /usr/bin/node nor %s is a working Node.js: run scripts/deps.sh as root", nodeCopy)
	return ""
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
