//go:build integration

package gates_test

import (
	"encoding/json"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
)

// With --user the gate's expiry timer is the user manager's: it fires with
// no sysroll process alive and rolls back, as for the system's.
func TestUserGateExpires(t *testing.T) {
	const name = "e2e-gate-user"
	u := e2etest.StartUserManager(t, "gateuser", 1700)
	sysroll := e2etest.BinDir + "/sysroll"
	ports := []int{26049, 26050}
	home := "/home/" + u.Name
	yaml := strings.Replace(e2etest.HelloYAML(name, ports, time.Second, ""), "rollout:\n  batch: 1\n",
		"rollout:\n  steps: [{batch: 1}, {pause: {}}, {batch: \"100%\"}]\n  pause_expiry: 4s\n", 1)
	file := home + "/" + name + ".yaml"
	e2etest.WriteFile(t, file, yaml, 0o644)
	rel := func(v string) string {
		dir := path.Join(home, "rel", v)
		art := e2etest.HelloRelease(t, dir, v)
		e2etest.Run(t, "chown", "-R", u.Name, path.Join(home, "rel"))
		return art
	}
	t.Cleanup(func() { u.Run(t, sysroll, "--user", "uninstall", name, "--purge") })
	if r := u.Run(t, sysroll, "--user", "apply", file, "--artifact", rel("v1"), "--version", "v1"); r.Code != 0 {
		t.Fatalf("apply --user: %s", r)
	}
	e2etest.WaitVersion(t, name, ports, "v1", 15*time.Second)
	r := u.Run(t, sysroll, "--user", "deploy", name, "--artifact", rel("v2"), "--version", "v2")
	if r.Code != 3 {
		t.Fatalf("deploy --user exited %d, want 3: %s", r.Code, r)
	}
	last := func() release.Record {
		t.Helper()
		out := u.Must(t, sysroll, "--user", "history", name, "--json")
		var h schema.History
		if err := json.Unmarshal([]byte(out), &h); err != nil || len(h.Rollouts) == 0 {
			t.Fatalf("history --json: %v\n%s", err, out)
		}
		return h.Rollouts[0]
	}
	rec := last()
	if a := u.Run(t, "systemctl", "--user", "is-active", rec.Pauses[0].Timer); strings.TrimSpace(a.Stdout) != "active" {
		t.Errorf("the user manager has no active timer %s: %s", rec.Pauses[0].Timer, a)
	}
	if sys := e2etest.Run(t, "systemctl", "is-active", rec.Pauses[0].Timer); strings.TrimSpace(sys.Stdout) == "active" {
		t.Errorf("the system manager runs the user's timer %s", rec.Pauses[0].Timer)
	}
	noSysroll(t)
	deadline := time.Now().Add(30 * time.Second)
	for rec = last(); rec.Result == release.ResultPaused || rec.Result == release.ResultRunning; rec = last() {
		if time.Now().After(deadline) {
			t.Fatalf("still paused 30s after a 4s expiry")
		}
		time.Sleep(300 * time.Millisecond)
	}
	if rec.Result != release.ResultRolledBack || rec.Pauses[0].Result != release.PauseExpired {
		t.Errorf("record %s (%s), pause %+v", rec.Result, rec.Reason, rec.Pauses[0])
	}
	e2etest.WaitVersion(t, name, ports, "v1", 15*time.Second)
}
