//go:build integration

package rinput

import (
	"fmt"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
)

const workRoot = "/srv/e2e-rinput"

// serviceFile is the hello example on one port with extra top-level YAML.
func serviceFile(name string, port int, extra string) string {
	return fmt.Sprintf(`name: %s
command: "{release}/hello --port {port}"
instances: [%d]
health:
  http: {url: "http://127.0.0.1:{port}/healthz", status: 200, body: ok}
  interval: 200ms
  timeout: 200ms
  healthy_for: 1s
  deadline: 30s
%s`, name, port, extra)
}

// write puts a service file and a v1 release in the container.
func write(t *testing.T, name, yaml string) (file, rel string) {
	t.Helper()
	dir := path.Join(workRoot, name)
	t.Cleanup(func() { e2etest.Run(t, "rm", "-rf", dir) })
	file = path.Join(dir, "service.yaml")
	e2etest.WriteFile(t, file, yaml, 0o644)
	return file, e2etest.HelloRelease(t, path.Join(dir, "v1"), "v1")
}

// wantRefused requires that apply exits 2 naming every part of want, and
// that nothing was installed.
func wantRefused(t *testing.T, name, yaml string, want ...string) {
	t.Helper()
	file, rel := write(t, name, yaml)
	r := e2etest.Sysroll(t, "apply", file, "--artifact", rel, "--version", "v1")
	if r.Code != 2 {
		t.Cleanup(func() { e2etest.Sysroll(t, "uninstall", name, "--purge") })
		t.Fatalf("apply exit %d, want 2 (bad input): %s", r.Code, r)
	}
	for _, w := range want {
		if !strings.Contains(r.Stderr, w) {
			t.Errorf("apply error lacks %q:\n%s", w, r.Stderr)
		}
	}
	if r := e2etest.Run(t, "test", "-e", "/etc/systemd/system/"+name+"@.service"); r.Code == 0 {
		t.Errorf("a refused service file installed %s@.service", name)
	}
}

// waitHealthy polls status until every instance is healthy.
func waitHealthy(t *testing.T, name string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := e2etest.TryStatus(t, name)
		if err == nil && st.Healthy == len(st.Instances) && len(st.Instances) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not healthy within 30s: %+v %v", name, st, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// systemd takes the Exec* prefixes from the word after removing its quotes
// and C escapes: each of these runs the command as root, outside the
// dynamic user's sandbox. apply refused none of them before; now each is
// refused like "+/bin/sh", and allowed, it runs as root and status shows it.
func TestQuotedPrivilegePrefix(t *testing.T) {
	for i, tc := range []struct{ name, key, value string }{
		{"e2e-rin-quoted", "ExecStartPre", `"+/bin/sh" -c 'id -u > %s'`},
		{"e2e-rin-escaped", "ExecStartPre", `\x2b/bin/sh -c 'id -u > %s'`},
		{"e2e-rin-after-semicolon", "ExecStartPost", `/bin/true ; '!/bin/sh' -c 'id -u > %s'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := 24001 + i
			uidFile := "/run/" + tc.name + ".uid"
			raw := fmt.Sprintf("service:\n  %s: %q\n", tc.key, fmt.Sprintf(tc.value, uidFile))
			wantRefused(t, tc.name, serviceFile(tc.name, port, raw),
				"service.yaml:11:", "service."+tc.key, "in front of a command runs the command as root", "hardening.allow_raw")

			yaml := serviceFile(tc.name, port, fmt.Sprintf("hardening: {allow_raw: [%s]}\n", tc.key)+raw)
			file, rel := write(t, tc.name, yaml)
			e2etest.InstallService(t, tc.name, file, yaml, rel, "v1")
			waitHealthy(t, tc.name)
			t.Cleanup(func() { e2etest.Run(t, "rm", "-f", uidFile) })
			if r := e2etest.Run(t, "cat", uidFile); r.Code != 0 || strings.TrimSpace(r.Stdout) != "0" {
				t.Errorf("%s=%s ran as uid %q (%s), want 0: systemd read the prefix", tc.key, tc.value, strings.TrimSpace(r.Stdout), r)
			}
			st := e2etest.Status(t, tc.name)
			if len(st.Relaxations) != 1 || st.Relaxations[0].Field != "service."+tc.key {
				t.Errorf("status --json relaxations = %+v, want the %s", st.Relaxations, tc.key)
			}
		})
	}
}

// CPUSchedulingPolicy=1 is SCHED_FIFO to systemd: apply let it through (only
// "fifo" and "rr" were judged), now it needs allow_raw; allowed, the
// instance really runs realtime.
func TestNumericSchedulingPolicy(t *testing.T) {
	const name, port = "e2e-rin-sched", 24010
	raw := "service: {CPUSchedulingPolicy: 1}\n"
	wantRefused(t, name, serviceFile(name, port, raw), "service.CPUSchedulingPolicy", "weakens the sandbox")

	yaml := serviceFile(name, port, "hardening: {allow_raw: [CPUSchedulingPolicy]}\n"+raw)
	file, rel := write(t, name, yaml)
	e2etest.InstallService(t, name, file, yaml, rel, "v1")
	waitHealthy(t, name)
	pid := e2etest.Status(t, name).Instances[0].PID
	r := e2etest.Run(t, "chrt", "-p", fmt.Sprint(pid))
	if !strings.Contains(r.Stdout, "SCHED_FIFO") {
		t.Errorf("CPUSchedulingPolicy=1: chrt -p %d = %s, want SCHED_FIFO", pid, r)
	}
}
