//go:build integration

package redteam_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// Hooks that leave a child in a session of its own (setsid), one that
// double-forks under nohup, one that writes a gigabyte and one that reads
// standard input, and a --check that setsid(1) forks: the deploys
// complete, and no child is left running.
func TestHooksThatEscape(t *testing.T) {
	s := newService(t, "e2e-red-hooks", 24200, 2, 300*time.Millisecond, `hooks:
  pre_stop: "setsid sleep 3011 >/dev/null 2>&1 </dev/null & (nohup sleep 3012 >/dev/null 2>&1 &) ; exit 0"
  post_start: "head -c 1000000000 /dev/zero; cat; setsid sh -c 'sleep 3013 & sleep 3014' >/dev/null 2>&1 </dev/null &"
`)
	start := time.Now()
	s.deploy("v2")
	t.Logf("deploy took %s", time.Since(start))
	// A --check that is a group leader: setsid(1) forks its child into a
	// session of its own and exits 0 at once.
	if r := s.sysroll(append(s.deployArgs("v3"), "--check", "setsid sleep 3015")...); r.Code != 0 {
		t.Fatalf("deploy --check setsid: %s", r)
	}
	time.Sleep(500 * time.Millisecond)
	if r := e2etest.Run(t, "pgrep", "-a", "-f", "sleep 301[1-5]"); r.Code == 0 {
		t.Errorf("children of the hooks still run after the deploy:\n%s", r.Stdout)
		e2etest.Run(t, "pkill", "-KILL", "-f", "sleep 301[1-5]") // inside the throwaway container only
	}
}

// An instance masked by hand while it runs: status flags it, and a deploy
// refuses before it stops anything, because the instance could not start
// again.
func TestMaskedInstance(t *testing.T) {
	s := newService(t, "e2e-red-masked", 24210, 2, 300*time.Millisecond, "")
	unit := s.name + "@" + strconv.Itoa(s.ports[1]) + ".service"
	s.sh("systemctl mask --runtime " + unit)
	defer e2etest.Run(t, "systemctl", "unmask", "--runtime", unit)
	st := s.sysroll("status", s.name)
	sane(t, "status", st)
	if !strings.Contains(st.Stdout+st.Stderr, "masked") {
		t.Errorf("status does not flag the masked instance: %s", st)
	}
	r := s.sysroll(s.deployArgs("v2")...)
	sane(t, "deploy", r)
	if r.Code == 0 {
		t.Errorf("deploy onto a masked instance exited 0: %s", r)
	}
	if v, err := e2etest.VersionOf(s.ports[1]); err != nil {
		t.Errorf("the deploy took down the masked instance (%v): %s", err, r)
	} else {
		t.Logf("masked instance answers %s", v)
	}
}

// systemctl daemon-reload and daemon-reexec while the rollout is at an
// instance's gate: the rollout completes on every instance.
func TestReloadAndReexecMidRollout(t *testing.T) {
	s := newService(t, "e2e-red-reload", 24220, 3, 2*time.Second, "")
	b := s.deployInBackground("v2")
	b.WaitEvent(30*time.Second, phaseOf(strconv.Itoa(s.ports[0]), "gate"))
	s.sh("systemctl daemon-reload")
	b.WaitEvent(30*time.Second, phaseOf(strconv.Itoa(s.ports[1]), "gate"))
	s.sh("systemctl daemon-reexec")
	if r := b.Wait(90 * time.Second); r.Code != 0 {
		t.Fatalf("deploy across daemon-reload and daemon-reexec: %s", r)
	}
	s.waitVersion("v2")
}

// The state directory chowned to nobody or made world-writable: deploy
// refuses naming the fix (exit 1, nothing touched).
func TestStateDirGivenAway(t *testing.T) {
	s := newService(t, "e2e-red-owner", 24230, 1, 300*time.Millisecond, "")
	d := s.stateDir()
	for _, c := range []struct{ change, undo, want string }{
		{"chown nobody " + d, "chown root " + d, "chown root"},
		{"chmod 777 " + d, "chmod 755 " + d, "chmod go-w"},
	} {
		s.sh(c.change)
		r := s.sysroll(s.deployArgs("v2")...)
		sane(t, c.change, r)
		if r.Code != 1 || !strings.Contains(r.Stderr, c.want) {
			t.Errorf("deploy after %s: %s", c.change, r)
		}
		s.sh(c.undo)
	}
	s.deploy("v2")
}

// An instance's current link retargeted by hand to another service's
// release: status flags the instance, and a deploy (or rollback) puts the
// link back into the service's own releases.
func TestLinkToAnotherServicesRelease(t *testing.T) {
	other := newService(t, "e2e-red-other", 24240, 1, 300*time.Millisecond, "")
	s := newService(t, "e2e-red-retarget", 24242, 2, 300*time.Millisecond, "")
	s.deploy("v2")
	link := s.stateDir() + "/instances/" + strconv.Itoa(s.ports[1]) + "/current"
	s.sh("ln -sfn " + other.stateDir() + "/releases/v1 " + link)
	st := s.sysroll("status", s.name)
	sane(t, "status", st)
	if !strings.Contains(st.Stdout+st.Stderr, link) && !strings.Contains(st.Stdout+st.Stderr, "link") {
		t.Errorf("status does not flag the foreign link: %s", st)
	}
	r := s.sysroll("rollback", s.name)
	sane(t, "rollback", r)
	if r.Code != 0 {
		t.Fatalf("rollback with a foreign link: %s", r)
	}
	s.waitVersion("v1")
	if got := strings.TrimSpace(s.sh("readlink " + link)); !strings.HasPrefix(got, "../../releases/") && !strings.HasPrefix(got, s.stateDir()+"/releases/") {
		t.Errorf("the link was not repaired: %s", got)
	}
}

// The unit template edited by hand and an instance stopped by hand: a
// deploy restarts the stopped instance on the new release too, and status
// flags the hand edit or apply puts it back.
func TestHandEditedUnitAndStoppedInstance(t *testing.T) {
	s := newService(t, "e2e-red-edited", 24250, 2, 300*time.Millisecond, "")
	tmpl := "/etc/systemd/system/" + s.name + "@.service"
	s.sh("sed -i 's/^TimeoutStopSec=.*/TimeoutStopSec=infinity/' " + tmpl + " && systemctl daemon-reload")
	stopped := s.name + "@" + strconv.Itoa(s.ports[1]) + ".service"
	s.sh("systemctl stop " + stopped)
	// With one of two down, the deploy steps the down one first (it holds
	// no capacity) and the other once that one is healthy on v2.
	r := s.sysroll(s.deployArgs("v2")...)
	sane(t, "deploy", r)
	if r.Code != 0 {
		t.Fatalf("deploy with an instance stopped by hand: %s", r)
	}
	s.waitVersion("v2")
	r = s.sysroll("apply", s.file())
	sane(t, "apply", r)
	if got := s.sh("grep ^TimeoutStopSec= " + tmpl); strings.Contains(got, "infinity") {
		t.Errorf("apply left the hand edit: %s (%s)", got, r)
	}
}

// A pre_stop hook that ignores SIGTERM and never ends: the drain gives up
// at drain_timeout (a warning), the hook's whole group is killed after the
// grace, and the deploy completes with nothing left running.
func TestHookThatHangs(t *testing.T) {
	s := newService(t, "e2e-red-hang", 24260, 2, 300*time.Millisecond, `  drain_timeout: 1s
hooks:
  pre_stop: "trap '' TERM; (trap '' TERM; sleep 3021) & sleep 3022"
`)
	start := time.Now()
	s.deploy("v2")
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the deploy took %s", took)
	}
	time.Sleep(500 * time.Millisecond)
	if r := e2etest.Run(t, "pgrep", "-a", "-f", "sleep 302[12]"); r.Code == 0 {
		t.Errorf("the hung hook still runs after the deploy:\n%s", r.Stdout)
		e2etest.Run(t, "pkill", "-KILL", "-f", "sleep 302[12]") // inside the throwaway container only
	}
}

// The running release's binary made non-executable: status flags every
// instance, restart and rollback-to-it are refused before anything stops,
// and deploying its artifact again as the same version repairs it.
func TestBinaryChmodMinusX(t *testing.T) {
	s := newService(t, "e2e-red-chmod", 24262, 2, 300*time.Millisecond, "")
	s.deploy("v2")
	s.sh("chmod -x " + s.stateDir() + "/releases/v1/hello " + s.stateDir() + "/releases/v2/hello")
	before := e2etest.Invocations(t, []string{s.name + "@" + strconv.Itoa(s.ports[0]) + ".service", s.name + "@" + strconv.Itoa(s.ports[1]) + ".service"})
	st := e2etest.Status(t, s.name)
	for _, in := range st.Instances {
		if !strings.Contains(in.HealthNote, "next start would fail") {
			t.Errorf("status does not flag %s: %q", in.Instance, in.HealthNote)
		}
	}
	for _, args := range [][]string{{"restart", s.name}, {"rollback", s.name, "--to", "v1"}} {
		r := s.sysroll(args...)
		sane(t, args[0], r)
		if r.Code == 0 || !strings.Contains(r.Stderr, "no instance touched") {
			t.Errorf("%s onto a non-executable binary: %s", args[0], r)
		}
	}
	after := e2etest.Invocations(t, []string{s.name + "@" + strconv.Itoa(s.ports[0]) + ".service", s.name + "@" + strconv.Itoa(s.ports[1]) + ".service"})
	for u, id := range before {
		if after[u] != id {
			t.Errorf("%s was restarted by a refused verb", u)
		}
	}
	if r := s.sysroll(s.deployArgs("v2")...); r.Code != 0 {
		t.Fatalf("deploy of v2's artifact again: %s", r)
	}
	if r := s.sysroll("restart", s.name); r.Code != 0 {
		t.Fatalf("restart after the repair: %s", r)
	}
	s.waitVersion("v2")
}

// Masked by hand: restart and rollback, like deploy, take nothing down;
// once unmasked, a plain rollback goes to the release before the current
// one (it used to "undo" the refused restart: nothing done, exit 0).
func TestMaskedInstanceRestartAndRollback(t *testing.T) {
	s := newService(t, "e2e-red-masked2", 24264, 2, 300*time.Millisecond, "")
	s.deploy("v2")
	unit := s.name + "@" + strconv.Itoa(s.ports[0]) + ".service"
	s.sh("systemctl mask --runtime " + unit)
	defer e2etest.Run(t, "systemctl", "unmask", "--runtime", unit)
	for _, args := range [][]string{{"restart", s.name}, {"rollback", s.name}} {
		r := s.sysroll(args...)
		sane(t, args[0], r)
		if r.Code == 0 {
			t.Errorf("%s with %s masked exited 0: %s", args[0], unit, r)
		}
		for _, p := range s.ports {
			if v, err := e2etest.VersionOf(p); err != nil || v != "v2" {
				t.Errorf("%s with %s masked: %d answers %q, %v", args[0], unit, p, v, err)
			}
		}
	}
	s.sh("systemctl unmask --runtime " + unit)
	r := s.sysroll("rollback", s.name)
	sane(t, "rollback", r)
	if r.Code != 0 {
		t.Fatalf("rollback once unmasked: %s", r)
	}
	s.waitVersion("v1")
}

// systemctl daemon-reexec while apply installs the service and while
// uninstall --purge removes it, from the first connection on: each verb
// completes (a reexec during the first connection failed it: "no systemd
// service manager reachable: ... connection reset by peer"), and running it
// again leaves the service whole or gone.
func TestReexecDuringApplyAndUninstall(t *testing.T) {
	s := newService(t, "e2e-red-reexec", 24292, 2, 300*time.Millisecond, "")
	bin := e2etest.BinDir + "/sysroll "
	apply := bin + "apply " + s.file() + " --artifact " + s.release("v1") + " --version v1"
	purge := bin + "uninstall " + s.name + " --purge"
	for _, c := range []struct{ before, cmd string }{{purge, apply}, {apply, purge}} {
		verb := strings.Fields(c.cmd)[1]
		for _, delay := range []string{"0.005", "0.01", "0.02", "0.05", "0.1"} {
			e2etest.Run(t, "sh", "-c", c.before)
			r := e2etest.Run(t, "sh", "-c", c.cmd+" 2>&1 & p=$!; sleep "+delay+"; systemctl daemon-reexec; wait $p; echo exit=$?")
			t.Logf("%s with a reexec after %ss: %s", verb, delay, strings.Join(strings.Fields(r.Stdout), " "))
			// The connection is made again (the first one too), so the
			// verb itself completes.
			if !strings.Contains(r.Stdout, "exit=0") {
				t.Errorf("%s with a reexec after %ss failed: %s", verb, delay, r.Stdout)
			}
			if r := e2etest.Run(t, "sh", "-c", c.cmd); r.Code != 0 && !(c.cmd == purge && strings.Contains(r.Stderr, "is not installed here")) {
				t.Errorf("%s again after the reexec: %s", verb, r)
			}
			if installed := s.consistent(verb + " again after a reexec"); installed != (c.cmd == apply) {
				t.Errorf("after %s again: installed %v", verb, installed)
			}
		}
	}
	s.sh(apply)
	s.waitVersion("v1")
}
