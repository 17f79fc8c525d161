//go:build integration

package input

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/testbed"
)

// netns is this package's own network namespace: the privileged-port tests
// bind ports below 1024, which must not meet anything on the host's network.
// Nothing here needs the host's network; loopback is enough.
const netns = "sysroll-e2e-input1"

// TestMain boots one container for the whole package, in its own network
// namespace (e2etest.Main shares the host's, so this does its steps itself).
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if out, err := exec.Command("ip", "netns", "add", netns).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: ip netns add %s: %v: %s\n", netns, err, out)
		return 1
	}
	defer func() {
		if out, err := exec.Command("ip", "netns", "delete", netns).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "ip netns delete %s: %v: %s\n", netns, err, out)
		}
	}()
	if out, err := exec.Command("ip", "-n", netns, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: loopback up in %s: %v: %s\n", netns, err, out)
		return 1
	}
	dir, err := os.MkdirTemp("", "sysroll-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	// The bind must be readable by the DynamicUser instances.
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	if err := e2etest.Build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	return testbed.Run(m, testbed.Options{
		Name:  "sysroll-e2e-input1",
		Binds: []testbed.Bind{{Host: dir, Container: e2etest.BinDir, ReadOnly: true}},
		NetNS: netns,
	})
}
