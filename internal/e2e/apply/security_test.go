//go:build integration

package apply

import (
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// maxExposure is the bar: systemd-analyze security rates "OK".
const maxExposure = 2.0

var exposureRe = regexp.MustCompile(`Overall exposure level for (\S+): ([0-9.]+) (\S+)`)

// TestVerifyAndSecurity: the installed units of a default service file pass
// systemd-analyze verify without a single line of output, and a running,
// serving instance rates 2.0 or better in systemd-analyze security.
func TestVerifyAndSecurity(t *testing.T) {
	s := service{name: "e2e-sec", ports: []int{19060}}
	s.install(t)
	wantRunning(t, s, "v1")
	wantServes(t, 19060, "v1")

	// The instance as installed and running, and the group. (The template
	// file alone would be verified as instance "i", whose release does
	// not exist: ExecStart= runs each instance's own release link.)
	for _, target := range []string{
		"e2e-sec@19060.service",
		path.Join(unitDir, "e2e-sec@19060.service"),
		path.Join(unitDir, "e2e-sec.target"),
	} {
		r := e2etest.Run(t, "systemd-analyze", "verify", target)
		if r.Code != 0 || strings.TrimSpace(r.Stdout+r.Stderr) != "" {
			t.Errorf("systemd-analyze verify %s is not silent: %s", target, r)
		}
	}

	unit := "e2e-sec@19060.service"
	r := e2etest.Run(t, "systemd-analyze", "security", "--no-pager", unit)
	m := exposureRe.FindStringSubmatch(r.Stdout)
	if m == nil {
		t.Fatalf("systemd-analyze security %s: no overall exposure line: %s", unit, r)
	}
	score, err := strconv.ParseFloat(m[2], 64)
	if err != nil {
		t.Fatalf("exposure %q: %v", m[2], err)
	}
	t.Logf("systemd-analyze security %s: %s %s", unit, m[2], m[3])
	if score > maxExposure {
		t.Errorf("exposure %.1f %s, want <= %.1f:\n%s", score, m[3], maxExposure, r.Stdout)
	}
	// The sandbox did not get in the way: still serving after the analysis.
	wantServes(t, 19060, "v1")
	if st := status(t, s.name); st.Instances[0].Restarts != 0 {
		t.Errorf("%s restarted %d times under the sandbox", unit, st.Instances[0].Restarts)
	}
}
