// Package prometheustest starts a real Prometheus server for the tests
// that judge metrics (internal/analysis/prom, internal/e2e/analysis): a
// leaf package of the standard library alone, so that both can import it
// (e2etest cannot be imported from package prom's own tests: it reaches
// prom through the engine).
package prometheustest

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Start runs Debian's prometheus (scripts/deps.sh installs it)
// as a child listening on addr (a loopback host:port the caller picked in
// its own range), scraping targets every second, and waits until it is
// ready. It is killed by its PID when tb ends (the caller may kill it
// earlier through the returned command); its log is shown when tb failed.
// It returns the command and the server's base URL.
func Start(tb testing.TB, addr string, targets []string) (*exec.Cmd, string) {
	tb.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		tb.Fatalf("prometheus not installed (scripts/deps.sh installs Debian's): %v", err)
	}
	dir := tb.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	q := make([]string, len(targets))
	for i, tg := range targets {
		q[i] = fmt.Sprintf("%q", tg)
	}
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`global: {scrape_interval: 1s, scrape_timeout: 900ms}
scrape_configs:
  - job_name: hello
    static_configs: [{targets: [%s]}]
`, strings.Join(q, ", "))), 0o644); err != nil {
		tb.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--storage.tsdb.retention.time=1h")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		_ = logf.Close()
		if tb.Failed() {
			b, _ := os.ReadFile(logf.Name())
			if len(b) > 3000 {
				b = b[len(b)-3000:]
			}
			tb.Logf("prometheus log (end):\n%s", b)
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd, base
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("prometheus on %s not ready within 30s: %v", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
