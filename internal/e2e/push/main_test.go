//go:build integration

package push

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/fleet/push"
	"github.com/sysroll/sysroll/internal/sshx"
)

// The package's allocation (see planFleet in internal/e2etest/fleetplan.go).
const (
	prefix = "fpush"
	subnet = 12
)

func TestMain(m *testing.M) {
	e2etest.FleetMain(m, prefix, 2, e2etest.FleetOptions{Subnet: subnet})
}

// pool is a Pool to the shared fleet, closed with the test.
func pool(t *testing.T) (*e2etest.Fleet, *sshx.Pool) {
	t.Helper()
	f := e2etest.SharedFleet(t)
	p := sshx.NewPool(sshx.Options{Resolver: &sshx.OpenSSHResolver{ConfigFile: f.SSHConfigPath()}, NoAgent: true})
	t.Cleanup(func() { p.Close() })
	return f, p
}

// conn is a push.Conn to host, closed with the test.
func conn(t *testing.T, p *sshx.Pool, host string, opts push.Options) *push.Conn {
	t.Helper()
	c := push.NewConn(p, host, opts)
	t.Cleanup(func() { c.Close() })
	return c
}

// build writes a binary of this machine's architecture (the test binary)
// padded with random bytes to at least size: another build each call.
func build(t *testing.T, size int) (path, sha string, n int64) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	pad := make([]byte, max(64, size-len(b)))
	rand.Read(pad)
	b = append(b, pad...)
	path = filepath.Join(t.TempDir(), "sysroll")
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return path, hex.EncodeToString(sum[:]), int64(len(b))
}

// onHost runs a shell command inside h and returns its trimmed output.
func onHost(t *testing.T, h *e2etest.Host, script string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := h.Exec(ctx, "sh", "-c", script)
	if err != nil {
		t.Fatalf("%s: %s: %v", h.Name(), script, err)
	}
	return strings.TrimSpace(string(out))
}

// describe is "<sha256> <mode> <owner>:<group>" of p on h.
func describe(t *testing.T, h *e2etest.Host, p string) string {
	t.Helper()
	return onHost(t, h, "echo $(sha256sum < "+p+" | cut -d' ' -f1) $(stat -c '%a %U:%G' "+p+")")
}

// temps lists the push temps in dir on h.
func temps(t *testing.T, h *e2etest.Host, dir string) string {
	t.Helper()
	return onHost(t, h, "ls -A "+dir+" 2>/dev/null | grep '^\\.sysroll-tmp-' || true")
}
