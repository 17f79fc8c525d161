//go:build integration

package redteam_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/release"
)

// Every verb that changes units, releases or records, run while a deploy
// holds the lock, is refused naming the holder; the read-only verbs work;
// the deploy then completes on every instance.
func TestEveryMutatingVerbDuringADeploy(t *testing.T) {
	s := newService(t, "e2e-red-lock", 24100, 3, 3*time.Second, "")
	b := s.deployInBackground("v2")
	b.WaitEvent(30*time.Second, phaseOf(strconv.Itoa(s.ports[0]), "gate"))
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
			t.Errorf("sysroll %s during a deploy: %s", strings.Join(args, " "), r)
		}
	}
	for _, args := range [][]string{{"status", s.name}, {"history", s.name}} {
		if r := s.sysroll(args...); r.Code != 0 {
			t.Errorf("sysroll %s during a deploy: %s", strings.Join(args, " "), r)
		}
	}
	if r := b.Wait(90 * time.Second); r.Code != 0 {
		t.Fatalf("the deploy did not complete: %s", r)
	}
	s.waitVersion("v2")
	if rec := e2etest.LastRecord(t, s.name); rec.Result != release.ResultSucceeded || rec.To != "v2" {
		t.Errorf("record: %s to %s", rec.Result, rec.To)
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
