// Package prometheustest starts a real Prometheus server for the tests
// that judge metrics (internal/analysis/prom, internal/e2e/analysis) and
// for the demo's canary: a leaf package of the standard library alone, so
// that each can import it (e2etest cannot be imported from package prom's
// own tests: it reaches prom through the engine).
package prometheustest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// readyWithin bounds the wait for a started server's /-/ready.
const readyWithin = 30 * time.Second

// Server is a prometheus child process.
type Server struct {
	// Cmd is the child; Stop kills it by its PID.
	Cmd *exec.Cmd
	// URL is the server's base URL, http://addr.
	URL string
	// Log is the file with the server's output.
	Log string
}

// Launch runs Debian's prometheus (scripts/deps.sh installs it) as a
// child listening on addr (a loopback host:port the caller picked in its
// own range), scraping targets every second as job "hello", with its
// configuration, data and log in dir, and waits until it is ready. The
// caller stops it with Stop, also when ctx ends first; on an error nothing
// is left running.
func Launch(ctx context.Context, addr, dir string, targets []string) (*Server, error) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		return nil, fmt.Errorf("prometheus not installed (scripts/deps.sh installs Debian's): %w", err)
	}
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
		return nil, fmt.Errorf("prometheus config: %w", err)
	}
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		return nil, fmt.Errorf("prometheus log: %w", err)
	}
	// The child writes to its own copy of the descriptor.
	defer logf.Close()
	cmd := exec.Command(bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--storage.tsdb.retention.time=1h")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start prometheus: %w", err)
	}
	s := &Server{Cmd: cmd, URL: "http://" + addr, Log: logf.Name()}
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, fmt.Errorf("%w\n%s", err, s.LogTail(3000))
	}
	return s, nil
}

func (s *Server) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(readyWithin)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/-/ready", nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = errors.New(resp.Status)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("prometheus on %s: %w", s.URL, ctx.Err())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("prometheus on %s not ready within %v: %w", s.URL, readyWithin, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop kills the server by its PID and reaps it; a second call does
// nothing.
func (s *Server) Stop() {
	if s.Cmd.ProcessState == nil {
		_ = s.Cmd.Process.Kill()
		_ = s.Cmd.Wait()
	}
}

// LogTail is the last n bytes of the server's log.
func (s *Server) LogTail(n int) string {
	b, _ := os.ReadFile(s.Log)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// Start is Launch for a test: the server's files are in tb's temporary
// directory, it is killed by its PID when tb ends (the caller may kill it
// earlier through the returned command), and its log is shown when tb
// failed. It returns the command and the server's base URL.
func Start(tb testing.TB, addr string, targets []string) (*exec.Cmd, string) {
	tb.Helper()
	s, err := Launch(context.Background(), addr, tb.TempDir(), targets)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		s.Stop()
		if tb.Failed() {
			tb.Logf("prometheus log (end):\n%s", s.LogTail(3000))
		}
	})
	return s.Cmd, s.URL
}
