//go:build integration

package analysis

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/prometheustest"
)

// startPrometheus runs Debian's prometheus as a child on 127.0.0.1, in
// 25800–25809, scraping targets every second (prometheustest.Start).
func startPrometheus(t *testing.T, targets []string) string {
	t.Helper()
	_, base := prometheustest.Start(t, freePort(t, 25800, 25809), targets)
	return base
}

// freePort is a free loopback port in [from, to].
func freePort(t *testing.T, from, to int) string {
	t.Helper()
	for p := from; p <= to; p++ {
		addr := fmt.Sprintf("127.0.0.1:%d", p)
		if ln, err := net.Listen("tcp", addr); err == nil {
			ln.Close()
			return addr
		}
	}
	t.Fatalf("no free port in %d–%d", from, to)
	return ""
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
