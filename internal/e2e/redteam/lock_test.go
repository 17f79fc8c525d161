//go:build integration

package redteam_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
)

// Every verb that changes units, releases or records, run while a deploy,
// a restart, a rollback or a resume holds the lock, is refused naming the
// holder; the read-only verbs work; the holder then completes.
func TestEveryMutatingVerbDuringARollout(t *testing.T) {
	for i, holder := range []string{"deploy", "restart", "rollback", "resume"} {
		t.Run(holder, func(t *testing.T) {
			s := newService(t, "e2e-red-lock-"+holder, 24100+2*i, 2, 3*time.Second, "")
			var b *e2etest.Background
			want := "v2"
			switch holder {
			case "deploy":
				b = s.deployInBackground("v2")
			case "restart":
				want = "v1"
				b = e2etest.StartSysroll(t, "restart", s.name, "--json")
			case "rollback":
				s.deploy("v2")
				want = "v1"
				b = e2etest.StartSysroll(t, "rollback", s.name, "--to", "v1", "--json")
			case "resume":
				k := s.deployInBackground("v2")
				k.WaitEvent(30*time.Second, func(e schema.Event) bool { return e.Type == "instance-done" })
				k.Signal("KILL")
				k.Wait(10 * time.Second)
				b = e2etest.StartSysroll(t, "deploy", s.name, "--resume", "--json")
			}
			b.WaitEvent(30*time.Second, func(e schema.Event) bool { return e.Type == "phase" && e.Phase == "gate" })
			for _, args := range [][]string{
				s.deployArgs("v3"),
				{"deploy", s.name, "--resume"},
				{"restart", s.name},
				{"rollback", s.name},
				{"rollback", s.name, "--to", "v1"},
				{"apply", s.file()},
				{"apply", s.file(), "--artifact", s.release("v4"), "--version", "v4"},
				{"uninstall", s.name},
				{"uninstall", s.name, "--purge"},
			} {
				r := s.sysroll(args...)
				sane(t, strings.Join(args, " "), r)
				if r.Code == 0 || !strings.Contains(r.Stderr, "already running: pid "+b.PID()) {
					t.Errorf("sysroll %s during a %s: %s", strings.Join(args, " "), holder, r)
				}
			}
			for _, args := range [][]string{{"status", s.name}, {"history", s.name}} {
				// status exits 1 while the rollout has an instance down.
				if r := s.sysroll(args...); r.Code != 0 && !(args[0] == "status" && r.Code == 1) {
					t.Errorf("sysroll %s during a %s: %s", strings.Join(args, " "), holder, r)
				}
			}
			if r := b.Wait(90 * time.Second); r.Code != 0 {
				t.Fatalf("the %s did not complete: %s", holder, r)
			}
			s.waitVersion(want)
			if rec := e2etest.LastRecord(t, s.name); rec.Result != release.ResultSucceeded || rec.To != want {
				t.Errorf("record: %s to %s", rec.Result, rec.To)
			}
		})
	}
}

// Two deploys started within milliseconds: one runs, the other is refused
// naming the first; every instance ends on the winner's version and the
// history holds that one rollout (apply records none).
func TestTwoDeploysAtOnce(t *testing.T) {
	s := newService(t, "e2e-red-twice", 24110, 2, 500*time.Millisecond, "")
	a, b := strings.Join(s.deployArgs("v2"), " "), strings.Join(s.deployArgs("v3"), " ")
	bin := e2etest.BinDir + "/sysroll "
	out := s.sh("(" + bin + a + " >/tmp/red-a 2>&1; echo a=$?) & (" + bin + b + " >/tmp/red-b 2>&1; echo b=$?) & wait; cat /tmp/red-a /tmp/red-b")
	t.Logf("%s", out)
	won := ""
	switch {
	case strings.Contains(out, "a=0") && !strings.Contains(out, "b=0"):
		won = "v2"
	case strings.Contains(out, "b=0") && !strings.Contains(out, "a=0"):
		won = "v3"
	default:
		t.Fatalf("want exactly one deploy to succeed: %s", out)
	}
	if !strings.Contains(out, "already running: pid") {
		t.Errorf("the loser does not name the holder: %s", out)
	}
	s.waitVersion(won)
	if h := e2etest.History(t, s.name); len(h) != 1 || h[0].To != won || h[0].Result != release.ResultSucceeded {
		t.Errorf("history after two deploys at once: %+v", h)
	}
}
