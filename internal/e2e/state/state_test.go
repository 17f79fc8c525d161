//go:build integration

package state_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// A truncated record, garbage metadata of an old release and a garbage
// known-good file: deploy, history and rollback all still work, the
// rollback goes to the release a record proves good, and status lists
// each file as quarantined.
func TestCorruptStateBlocksNothing(t *testing.T) {
	s := newService(t, "e2e-state-corrupt", 23400, 2)
	s.deploy("v2")
	d := s.stateDir()
	// A record cut short (copied from the real one), garbage metadata of
	// v1, a known-good file that is not a history.
	s.sh("f=$(ls " + d + "/rollouts/*.json | head -1); head -c 100 \"$f\" > " + d + "/rollouts/20261125T160000-9f3e.json")
	s.sh("printf 'garbage' > " + d + "/releases/v1.json")
	s.sh("printf '{\"version\": 7' > " + d + "/known-good")

	s.deploy("v3") // used to exit 1 at mark-good / prune
	if r := s.sysroll("history", s.name); r.Code != 0 {
		t.Fatalf("history: %s", r)
	}
	st := e2etest.Status(t, s.name)
	whats := map[string]bool{}
	for _, q := range st.Quarantined {
		whats[q.What] = true
		if !strings.HasPrefix(q.Path, q.Original+".corrupt-") {
			t.Errorf("quarantined %+v", q)
		}
	}
	for _, w := range []string{"rollout record", "release metadata", "known-good history"} {
		if !whats[w] {
			t.Errorf("status does not list a quarantined %s: %+v", w, st.Quarantined)
		}
	}
	if plain := s.sysroll("status", s.name); plain.Code != 0 || !strings.Contains(plain.Stdout, "QUARANTINED") {
		t.Errorf("plain status: %s", plain)
	}
	// The known-good history was rebuilt from the records: v2 and v3 were
	// deployed successfully, so a rollback from v3 goes to v2.
	if r := s.sysroll("rollback", s.name); r.Code != 0 {
		t.Fatalf("rollback: %s", r)
	}
	s.waitVersion("v2")
}

// --version v1.json used to delete release v1's metadata: now it is
// refused with the rule (exit 2), and v1 can still be rolled back to.
func TestVersionCannotCollide(t *testing.T) {
	s := newService(t, "e2e-state-names", 23410, 2)
	s.deploy("v2")
	r := s.sysroll("deploy", s.name, "--artifact", s.release("x"), "--version", "v1.json")
	if r.Code != 2 || !strings.Contains(r.Stderr, `metadata file of "v1"`) {
		t.Fatalf("deploy --version v1.json: %s", r)
	}
	if r := s.sysroll("rollback", s.name, "--to", "v1"); r.Code != 0 {
		t.Fatalf("rollback --to v1: %s", r)
	}
	s.waitVersion("v1")
}

// A state directory another user could write in is refused, naming the
// fix; a lock link planted to a file outside is not written through; a
// killed Stage's staging directory is gone after the next deploy.
func TestStateDirNotOwned(t *testing.T) {
	s := newService(t, "e2e-state-owner", 23420, 2)
	d := s.stateDir()
	s.sh("chmod g+w " + d)
	r := s.sysroll("deploy", s.name, "--artifact", s.release("v2"), "--version", "v2")
	if r.Code != 1 || !strings.Contains(r.Stderr, d+" (owner root, mode drwxrwxr-x) is writable by its group") || !strings.Contains(r.Stderr, "chmod go-w "+d) {
		t.Fatalf("deploy into a group-writable state dir: %s", r)
	}
	s.sh("chmod g-w " + d)

	s.sh("printf 'precious\\n' > /tmp/e2e-state-victim && rm -f " + d + "/lock && ln -s /tmp/e2e-state-victim " + d + "/lock")
	s.sh("mkdir -p " + d + "/releases/.tmp-killed/x && echo half > " + d + "/releases/.tmp-killed/x/hello")
	s.deploy("v2")
	if got := s.sh("cat /tmp/e2e-state-victim"); got != "precious\n" {
		t.Errorf("the lock link's target was written through: %q", got)
	}
	if r := e2etest.Run(t, "test", "-e", d+"/releases/.tmp-killed"); r.Code == 0 {
		t.Errorf("the killed Stage's staging directory is still there")
	}
}

// Garbage applied.json and service.yaml, or an applied.json crafted to
// list a file outside the unit directory: uninstall, plain and --purge,
// removes every unit of the service and nothing else.
func TestUninstallGarbage(t *testing.T) {
	for i, tc := range []struct {
		name, applied string
		purge         bool
	}{
		{"crafted", `{"files":["../../../tmp/e2e-state-victim-%s"]}`, false},
		{"garbage", `{[ garbage`, true},
	} {
		s := newService(t, "e2e-state-uninstall-"+tc.name, 23430+10*i, 2)
		d := s.stateDir()
		victim := "/tmp/e2e-state-victim-" + tc.name
		s.sh("echo precious > " + victim)
		applied := strings.ReplaceAll(tc.applied, "%s", tc.name)
		e2etest.WriteFile(t, d+"/applied.json", applied, 0o644)
		s.sh("printf '\\000garbage' > " + d + "/service.yaml")
		args := []string{"uninstall", s.name}
		if tc.purge {
			args = append(args, "--purge")
		}
		if r := s.sysroll(args...); r.Code != 0 {
			t.Fatalf("%v: %s", args, r)
		}
		if left := s.sh("ls /etc/systemd/system | grep -c '^" + s.name + "[@.]' || true"); strings.TrimSpace(left) != "0" {
			t.Errorf("%v left %s unit files", args, left)
		}
		if r := e2etest.Run(t, "systemctl", "is-active", s.name+"@"+strconv.Itoa(s.ports[0])+".service"); r.Code == 0 {
			t.Errorf("%s: instance still active", tc.name)
		}
		if r := e2etest.Run(t, "cat", victim); r.Code != 0 || r.Stdout != "precious\n" {
			t.Errorf("%s: uninstall removed or changed %s, outside the unit directory: %s", tc.name, victim, r)
		}
	}
}

// With the known-good file garbage and no record left to prove an earlier
// release good, rollback refuses, naming the file and --to; --to works.
func TestLostKnownGoodRefusesRollback(t *testing.T) {
	s := newService(t, "e2e-state-lostgood", 23450, 2)
	s.deploy("v2")
	d := s.stateDir()
	s.sh("for f in " + d + "/rollouts/*.json; do printf '{' > \"$f\"; done; printf 'x' > " + d + "/known-good")
	r := s.sysroll("rollback", s.name)
	if r.Code == 0 || !strings.Contains(r.Stderr, "the known-good history was corrupt and was moved aside to "+d+"/known-good.corrupt-") ||
		!strings.Contains(r.Stderr, "sysroll rollback "+s.name+" --to VERSION") {
		t.Fatalf("rollback with the known-good history lost: %s", r)
	}
	s.waitVersion("v2")
	if r := s.sysroll("rollback", s.name, "--to", "v1"); r.Code != 0 {
		t.Fatalf("rollback --to v1: %s", r)
	}
	s.waitVersion("v1")
}
