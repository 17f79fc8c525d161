package e2etest

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
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

// HelloYAML is the service file most e2e tests install: hello instances on
// ports, gated by /healthz (healthy for healthyFor), one at a time, with
// extra appended (e.g. "hooks: ...\n").
func HelloYAML(name string, ports []int, healthyFor time.Duration, extra string) string {
	ps := make([]string, 0, len(ports))
	for _, p := range ports {
		ps = append(ps, strconv.Itoa(p))
	}
	return fmt.Sprintf(`name: %s
command: "{release}/hello --port {port}"
instances: [%s]
restart_sec: 1s
stop_timeout: 10s
health:
  http: {url: "http://127.0.0.1:{port}/healthz"}
  interval: 200ms
  timeout: 200ms
  healthy_for: %s
  deadline: 10s
rollout:
  batch: 1
%s`, name, strings.Join(ps, ", "), healthyFor, extra)
}
