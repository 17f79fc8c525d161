package e2etest

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// VersionOf asks a hello instance, from the host, which version it runs:
// it answers "hello from V (instance I, pid P)".
func VersionOf(port int) (string, error) {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return "", err
	}
	f := strings.Fields(string(body))
	if resp.StatusCode != http.StatusOK || len(f) < 3 || f[0] != "hello" {
		return "", fmt.Errorf("GET / on %d: %s %q", port, resp.Status, body)
	}
	return f[2], nil
}

// WaitVersion waits until every one of ports answers version, and fails
// the test naming the ones that do not within the time given.
func WaitVersion(t testing.TB, name string, ports []int, version string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var bad []string
		for _, p := range ports {
			if v, err := VersionOf(p); err != nil || v != version {
				bad = append(bad, fmt.Sprintf("%d: %q %v", p, v, err))
			}
		}
		if len(bad) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not every instance on %s after %s: %s", name, version, within, strings.Join(bad, "; "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
