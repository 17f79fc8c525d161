//go:build integration

package directives

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
)

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
