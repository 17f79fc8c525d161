//go:build integration

package redteam_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
)

// kill -9 of a deploy at each phase of its first instance, then each way
// out: status names the interrupted rollout, a new deploy is refused
// naming the way out, and deploy --resume ends every instance on v2, or
// rollback every instance on v1; nothing is left stuck or inverted.
func TestKillDeployAtEachPhase(t *testing.T) {
	i := 0
	for _, phase := range []string{"drain", "switch", "restart", "gate", "undrain"} {
		for _, way := range []string{"resume", "rollback"} {
			t.Run(phase+" then "+way, func(t *testing.T) {
				s := newService(t, fmt.Sprintf("e2e-red-kill%d", i), 24160+2*i, 2, time.Second, "")
				i++
				first := strconv.Itoa(s.ports[0])
				b := s.deployInBackground("v2")
				b.WaitEvent(30*time.Second, func(e schema.Event) bool {
					return e.Instance == first && e.Type == "phase" && e.Phase == phase
				})
				b.Signal("KILL")
				if r := b.Wait(10 * time.Second); r.Code == 0 {
					t.Fatalf("exited 0 after kill -9")
				}
				st := e2etest.Status(t, s.name)
				if st.Interrupted == nil || st.Interrupted.To != "v2" {
					t.Errorf("status does not name the interrupted rollout: %+v", st.Interrupted)
				}
				r := s.sysroll(s.deployArgs("v3")...)
				sane(t, "deploy v3", r)
				if r.Code == 0 || !strings.Contains(r.Stderr, "--resume") {
					t.Errorf("deploy v3 over the interrupted rollout: %s", r)
				}
				args, want := []string{"deploy", s.name, "--resume"}, "v2"
				if way == "rollback" {
					args, want = []string{"rollback", s.name}, "v1"
				}
				r = s.sysroll(args...)
				sane(t, way, r)
				if r.Code != 0 {
					t.Fatalf("%s after kill -9 at %s: %s", way, phase, r)
				}
				s.waitVersion(want)
				// A rollback without --to undoes the interrupted record
				// itself: it ends rolled-back, never running or failed.
				wantResult := release.ResultSucceeded
				if way == "rollback" {
					wantResult = release.ResultRolledBack
				}
				if rec := e2etest.LastRecord(t, s.name); rec.Result != wantResult || rec.To != "v2" {
					t.Errorf("record after %s: %s to %s, want %s", way, rec.Result, rec.To, wantResult)
				}
				if st := e2etest.Status(t, s.name); st.Interrupted != nil || st.Healthy != 2 {
					t.Errorf("status after %s: interrupted %+v, healthy %d", way, st.Interrupted, st.Healthy)
				}
				// And it goes on: a later deploy works.
				s.deploy("v4")
			})
		}
	}
}

// kill -9 of a restart at its first instance's gate: restart again, or
// deploy --resume, completes it on the same release.
func TestKillRestart(t *testing.T) {
	s := newService(t, "e2e-red-killrestart", 24190, 2, time.Second, "")
	b := e2etest.StartSysroll(t, "restart", s.name, "--json")
	b.WaitEvent(30*time.Second, phaseOf(strconv.Itoa(s.ports[0]), "gate"))
	b.Signal("KILL")
	b.Wait(10 * time.Second)
	r := s.sysroll("restart", s.name)
	sane(t, "restart again", r)
	if r.Code != 0 {
		r2 := s.sysroll("deploy", s.name, "--resume")
		sane(t, "resume", r2)
		if r2.Code != 0 {
			t.Fatalf("neither restart (%s) nor resume (%s) finished the killed restart", r, r2)
		}
	}
	s.waitVersion("v1")
	if st := e2etest.Status(t, s.name); st.Interrupted != nil || st.Healthy != 2 {
		t.Errorf("status: interrupted %+v, healthy %d", st.Interrupted, st.Healthy)
	}
}

// kill -9 of a rollback (v2 → v1) at each phase of its first instance,
// then rollback again or deploy --resume: every instance ends on v1, the
// rollback's own target, never back on v2 (inverted), and status says so.
func TestKillRollbackAtEachPhase(t *testing.T) {
	i := 0
	for _, phase := range []string{"drain", "switch", "restart", "gate"} {
		for _, way := range []string{"rollback", "resume"} {
			t.Run(phase+" then "+way, func(t *testing.T) {
				s := newService(t, fmt.Sprintf("e2e-red-killrb%d", i), 24270+2*i, 2, time.Second, "")
				i++
				s.deploy("v2")
				first := strconv.Itoa(s.ports[0])
				b := e2etest.StartSysroll(t, "rollback", s.name, "--json")
				b.WaitEvent(30*time.Second, func(e schema.Event) bool {
					return e.Instance == first && e.Type == "phase" && e.Phase == phase
				})
				b.Signal("KILL")
				b.Wait(10 * time.Second)
				if st := e2etest.Status(t, s.name); st.Interrupted == nil || st.Interrupted.To != "v1" {
					t.Errorf("status does not name the interrupted rollback to v1: %+v", st.Interrupted)
				}
				args := []string{"rollback", s.name}
				if way == "resume" {
					args = []string{"deploy", s.name, "--resume"}
				}
				r := s.sysroll(args...)
				sane(t, way, r)
				if r.Code != 0 {
					t.Fatalf("%s after kill -9 of the rollback at %s: %s", way, phase, r)
				}
				s.waitVersion("v1")
				if st := e2etest.Status(t, s.name); st.Interrupted != nil || st.Healthy != 2 {
					t.Errorf("status after %s: interrupted %+v, healthy %d", way, st.Interrupted, st.Healthy)
				}
			})
		}
	}
}

// consistent fails the test unless the service is either fully installed
// (unit files, installed service file, every instance answering) or fully
// gone (no unit file, no instance running).
func (s *service) consistent(what string) (installed bool) {
	s.t.Helper()
	units := strings.TrimSpace(s.sh("ls /etc/systemd/system | grep -c '^" + s.name + "[@.]' || true"))
	svc := e2etest.Run(s.t, "test", "-f", s.stateDir()+"/service.yaml").Code == 0
	var up []string
	for _, p := range s.ports {
		if e2etest.Run(s.t, "systemctl", "is-active", "-q", s.name+"@"+strconv.Itoa(p)+".service").Code == 0 {
			up = append(up, strconv.Itoa(p))
		}
	}
	switch {
	case units != "0" && svc && len(up) == len(s.ports):
		return true
	case units == "0" && len(up) == 0:
		return false
	}
	s.t.Errorf("%s: half installed: %s unit files, service.yaml %v, up %v", what, units, svc, up)
	return false
}

// apply and uninstall --purge started within milliseconds, and each
// killed -9 after a few milliseconds: the service is never left half
// installed, and apply then uninstall --purge work.
func TestApplyAndUninstallRacedAndKilled(t *testing.T) {
	s := newService(t, "e2e-red-race", 24290, 2, 300*time.Millisecond, "")
	bin := e2etest.BinDir + "/sysroll "
	apply := bin + "apply " + s.file() + " --artifact " + s.release("v1") + " --version v1"
	purge := bin + "uninstall " + s.name + " --purge"
	for i := range 4 {
		out := s.sh("(" + apply + " >/dev/null 2>&1; echo apply=$?) & (" + purge + " >/dev/null 2>&1; echo purge=$?) & wait")
		time.Sleep(300 * time.Millisecond)
		s.consistent(fmt.Sprintf("race %d (%s)", i, strings.Join(strings.Fields(out), " ")))
	}
	// A fresh install killed -9 partway, then apply again; an installed
	// service's purge killed -9 partway, then purge again.
	for _, kill := range []struct{ before, cmd, way string }{
		{purge, apply, apply},
		{apply, purge, purge},
	} {
		verb := strings.Fields(kill.cmd)[1]
		for _, delay := range []string{"0.02", "0.05", "0.1", "0.2"} {
			e2etest.Run(t, "sh", "-c", kill.before)
			r := e2etest.Run(t, "sh", "-c", kill.cmd+" >/dev/null 2>&1 & p=$!; sleep "+delay+"; kill -9 $p; wait $p; echo $?")
			t.Logf("%s killed after %ss: exit %s", verb, delay, strings.TrimSpace(r.Stdout))
			st := s.sysroll("status", s.name)
			sane(t, "status after the kill", st)
			r = e2etest.Run(t, "sh", "-c", kill.way)
			if r.Code != 0 && !(kill.way == purge && strings.Contains(r.Stderr, "is not installed here")) {
				t.Errorf("after kill -9 of %s at %ss, %s again: %s", verb, delay, verb, r)
			}
			if installed := s.consistent("after kill and " + verb + " again"); installed != (kill.way == apply) {
				t.Errorf("after %s again: installed %v", verb, installed)
			}
			if kill.way == apply {
				s.waitVersion("v1")
			}
		}
	}
	s.sh(apply)
}

// kill -9 of a deploy, then kill -9 of its resume at the next instance's
// gate: a second resume completes the rollout on v2.
func TestKillResume(t *testing.T) {
	s := newService(t, "e2e-red-killresume", 24286, 3, time.Second, "")
	b := s.deployInBackground("v2")
	b.WaitEvent(30*time.Second, func(e schema.Event) bool { return e.Type == "instance-done" })
	b.Signal("KILL")
	b.Wait(10 * time.Second)
	r := e2etest.StartSysroll(t, "deploy", s.name, "--resume", "--json")
	r.WaitEvent(30*time.Second, phaseOf(strconv.Itoa(s.ports[1]), "gate"))
	r.Signal("KILL")
	r.Wait(10 * time.Second)
	if st := e2etest.Status(t, s.name); st.Interrupted == nil || st.Interrupted.To != "v2" {
		t.Errorf("status does not name the interrupted rollout: %+v", st.Interrupted)
	}
	res := s.sysroll("deploy", s.name, "--resume")
	sane(t, "second resume", res)
	if res.Code != 0 {
		t.Fatalf("second resume: %s", res)
	}
	s.waitVersion("v2")
	if rec := e2etest.LastRecord(t, s.name); rec.Result != release.ResultSucceeded || rec.To != "v2" {
		t.Errorf("record: %s to %s", rec.Result, rec.To)
	}
}
