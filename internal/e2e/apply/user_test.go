//go:build integration

package apply

import (
	"path"
	"strconv"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// The user whose own systemd manages the service in TestUserManager.
const (
	testUser = "e2euser"
	testUID  = 1500
	// maxUserExposure is unitfile's bar for user units (see its verify test).
	maxUserExposure = 2.5
)

// user is testUser, whose user manager startUserManager starts.
var user = e2etest.User{Name: testUser, UID: testUID}

func startUserManager(t *testing.T) { e2etest.StartUserManager(t, testUser, testUID) }

func asUser(t *testing.T, argv ...string) e2etest.Result { t.Helper(); return user.Run(t, argv...) }

func mustAsUser(t *testing.T, argv ...string) string { t.Helper(); return user.Must(t, argv...) }

// TestUserManager: with --user, the service is installed for and run by
// the user's own systemd, without root.
func TestUserManager(t *testing.T) {
	startUserManager(t)
	s := service{name: "e2e-user", ports: []int{19095, 19096}}
	file, rel := s.write(t), s.release(t, "v1")
	sysroll := e2etest.BinDir + "/sysroll"
	home := "/home/" + testUser
	t.Cleanup(func() {
		asUser(t, sysroll, "--user", "uninstall", s.name, "--purge")
		e2etest.Run(t, "rm", "-rf", path.Join(workRoot, s.name))
	})

	r := mustAsUser(t, sysroll, "--user", "apply", file, "--artifact", rel, "--version", "v1")
	if !strings.Contains(r, "start e2e-user@19096.service") {
		t.Errorf("apply --user:\n%s", r)
	}
	for _, f := range []string{
		home + "/.config/systemd/user/e2e-user@.service",
		home + "/.config/systemd/user/e2e-user.target",
		home + "/.local/share/sysroll/e2e-user/service.yaml",
	} {
		if got := strings.TrimSpace(must(t, "stat", "-c", "%U", f)); got != testUser {
			t.Errorf("%s is owned by %s, want %s", f, got, testUser)
		}
	}
	if exists(t, path.Join(unitDir, "e2e-user@.service")) || exists(t, path.Join(stateRoot, "e2e-user")) {
		t.Error("apply --user wrote into the system's directories")
	}

	// The instances run under the user's manager, as the user.
	for _, p := range s.ports {
		unit := instanceUnit(s.name, p)
		out := mustAsUser(t, "systemctl", "--user", "show", "-p", "ActiveState", "-p", "MainPID", "-p", "ControlGroup", "-p", "InvocationID", unit)
		if !strings.Contains(out, "ActiveState=active") || !strings.Contains(out, "/user@"+strconv.Itoa(testUID)+".service/") {
			t.Errorf("%s under the user manager:\n%s", unit, out)
		}
		pid := ""
		for _, line := range strings.Split(out, "\n") {
			if v, ok := strings.CutPrefix(line, "MainPID="); ok {
				pid = v
			}
		}
		if uid := strings.TrimSpace(must(t, "stat", "-c", "%u", "/proc/"+pid)); uid != strconv.Itoa(testUID) {
			t.Errorf("%s (pid %s) runs as uid %s, want %d\n%s", unit, pid, uid, testUID, out)
		}
		wantServes(t, p, "v1")
	}
	if got := listUnits(t, "e2e-user*"); len(got) != 0 {
		t.Errorf("the system manager has the user's units: %v", got)
	}

	out := mustAsUser(t, sysroll, "--user", "status", s.name)
	for _, p := range []string{"19095", "19096"} {
		if !strings.Contains(out, "e2e-user@"+p+".service  active/running") || !strings.Contains(out, "v1") {
			t.Errorf("status --user:\n%s", out)
		}
	}
	if !strings.Contains(out, "e2e-user: 2/2 running, 2 healthy") {
		t.Errorf("status --user summary:\n%s", out)
	}
	// The user manager's view of the sandbox: systemd-analyze scores a user
	// unit as if it ran as root (+0.4), so unitfile allows 2.5 here.
	sec := asUser(t, "systemd-analyze", "--user", "security", "--no-pager", instanceUnit(s.name, 19095))
	if m := exposureRe.FindStringSubmatch(sec.Stdout); m == nil {
		t.Errorf("systemd-analyze --user security: %s", sec)
	} else if score, _ := strconv.ParseFloat(m[2], 64); score > maxUserExposure {
		t.Errorf("user instance exposure %s %s, want <= %.1f", m[2], m[3], maxUserExposure)
	} else {
		t.Logf("systemd-analyze --user security %s: %s %s", m[1], m[2], m[3])
	}
	if out := mustAsUser(t, sysroll, "--user", "apply", file); strings.TrimSpace(out) != "e2e-user: no changes" {
		t.Errorf("second apply --user: %q", out)
	}

	out = mustAsUser(t, sysroll, "--user", "uninstall", s.name, "--purge")
	if !strings.Contains(out, "uninstalled and purged") {
		t.Errorf("uninstall --user: %s", out)
	}
	if left := mustAsUser(t, "systemctl", "--user", "list-units", "--all", "--plain", "--no-legend", "e2e-user*"); strings.TrimSpace(left) != "" {
		t.Errorf("user units left after uninstall:\n%s", left)
	}
	for _, p := range s.ports {
		wantRefused(t, p)
	}
}
