//go:build integration

package apply

import (
	"path"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// TestUserLogs: `sysroll --user logs` reads the user's own journal, as the
// user, for units of the user's manager; apply --user waits for the gate
// as apply does. Ports 24750-24751.
func TestUserLogs(t *testing.T) {
	startUserManager(t)
	s := service{name: "e2e-userlogs", ports: []int{24750, 24751}}
	file, rel := s.write(t), s.release(t, "v1")
	sysroll := e2etest.BinDir + "/sysroll"
	t.Cleanup(func() {
		asUser(t, sysroll, "--user", "uninstall", s.name, "--purge")
		e2etest.Run(t, "rm", "-rf", path.Join(workRoot, s.name))
	})
	out := mustAsUser(t, sysroll, "--user", "apply", file, "--artifact", rel, "--version", "v1")
	if !strings.Contains(out, "e2e-userlogs@24751.service: healthy after") {
		t.Errorf("apply --user does not wait for the gate:\n%s", out)
	}
	r := asUser(t, sysroll, "--user", "logs", s.name, "24750")
	t.Logf("sysroll --user logs:\n%s%s", r.Stdout, r.Stderr)
	if r.Code != 0 || !strings.Contains(r.Stdout, "msg=listening") {
		t.Errorf("sysroll --user logs of one instance: want exit 0 and its listening line, got %s", r)
	}
	if st := asUser(t, sysroll, "--user", "status", s.name); st.Code != 0 {
		t.Errorf("sysroll --user status of a healthy service: %s", st)
	}
}
