package exec

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/analysis"
)

// A real /bin/sh script: its arguments, its environment, its exit status
// and output, a timeout that kills what it started, and the preflight's
// Check.
func TestOSRunnerScript(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "smoke")
	body := `#!/bin/sh
case "$1" in
ok) echo "checked $2 in $SYSROLL_WINDOW"; exit 0 ;;
bad) echo first; echo "$2: 500" >&2; exit 3 ;;
hang) sleep 30 & sleep 30; exit 0 ;;
esac
exit 9
`
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Check(script); err != nil {
		t.Fatalf("Check(executable script) = %v", err)
	}
	p := &Provider{R: OSRunner{}, Service: "hello", Window: time.Minute, Addr: func(in string) string { return "127.0.0.1:" + in }}
	now := time.Now()
	run := func(arg string, timeout time.Duration) analysis.Verdict {
		m := analysis.Metric{Name: "smoke", Exec: []string{script, arg, "{instance_addrs}"}, Timeout: timeout}
		return analysis.Judge(m, p.Measure(context.Background(), m, analysis.Canary, []string{"8081"}, now.Add(-20*time.Second), now), nil)
	}
	if v := run("ok", 5*time.Second); v.Outcome != analysis.Pass {
		t.Errorf("ok: %s %q", v.Outcome, v.Reason)
	}
	if v := run("bad", 5*time.Second); v.Outcome != analysis.Fail || !strings.Contains(v.Reason, "exited 3: first / 127.0.0.1:8081: 500") {
		t.Errorf("bad: %s %q", v.Outcome, v.Reason)
	}
	start := time.Now()
	if v := run("hang", 300*time.Millisecond); v.Outcome != analysis.Error || !strings.Contains(v.Reason, "killed after its timeout 300ms") {
		t.Errorf("hang: %s %q", v.Outcome, v.Reason)
	}
	// The background sleep holds the output pipe: without killing the
	// group, the run would last 30s.
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("a hanging script took %v to be stopped", d)
	}
	res, err := OSRunner{}.Run(context.Background(), []string{script, "ok", "x"}, Env(Vars{Window: 20 * time.Second}))
	if err != nil || res.ExitCode != 0 || strings.TrimSpace(string(res.Output)) != "checked x in 20s" {
		t.Errorf("Run = %+v, %v", res, err)
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, want string }{
		{filepath.Join(dir, "missing"), "no such file"},
		{dir, "not a regular file"},
	} {
		if err := Check(c.path); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Check(%s) = %v, want %q", c.path, err, c.want)
		}
	}
	// access(2) wants an x bit even for root.
	if err := Check(plain); err == nil || !strings.Contains(err.Error(), "not executable") {
		t.Errorf("Check(mode 0644) = %v", err)
	}
}
