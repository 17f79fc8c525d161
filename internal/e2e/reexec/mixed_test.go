//go:build integration

package reexec

import (
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/release"
)

// Mixed states on real systemd: after a partial rollout instances are on
// several releases and some are down. deploy --resume and rollback accept
// what they can describe and converge it, the down instances first, with
// no request lost through HAProxy.
func TestMixedStateConverges(t *testing.T) {
	t.Run("resume with a later batch's instance stopped", func(t *testing.T) {
		s := newService(t, "rx-mixed-resume", []int{23220, 23221, 23222}, 23223)
		stop := s.load()
		b := e2etest.StartSysroll(t, "deploy", s.name, "--artifact", s.release("v2"), "--version", "v2", "--json")
		b.WaitEvent(60*time.Second, isPhase("23220", "gate"))
		b.Signal("KILL")
		b.Wait(30 * time.Second)
		// 23220 is on v2 in its gate, 23221 and 23222 on v1; 23222 goes
		// down. The test's own stop loses the requests HAProxy sends before
		// its check sees it: the load runs from then on.
		stop()
		if r := e2etest.Run(t, "systemctl", "stop", s.name+"@23222.service"); r.Code != 0 {
			t.Fatalf("systemctl stop: %s", r)
		}
		s.h.WaitStatus("s23222", "DOWN", 10*time.Second)
		stop = s.load()
		r := e2etest.Sysroll(t, "deploy", s.name, "--resume")
		stop()
		t.Logf("deploy --resume:\n%s", r)
		if r.Code != 0 {
			t.Fatalf("deploy --resume of a mixed state: exit %d", r.Code)
		}
		if rec := e2etest.LastRecord(t, s.name); rec.Result != release.ResultSucceeded {
			t.Errorf("record %s ended %s: %s", rec.ID, rec.Result, rec.Reason)
		}
		s.assertAllOn("v2")
	})
	t.Run("rollback with one instance stopped", func(t *testing.T) {
		s := newService(t, "rx-mixed-rollback", []int{23225, 23226, 23227}, 23228)
		e2etest.MustSysroll(t, "deploy", s.name, "--artifact", s.release("v2"), "--version", "v2")
		if r := e2etest.Run(t, "systemctl", "stop", s.name+"@23226.service"); r.Code != 0 {
			t.Fatalf("systemctl stop: %s", r)
		}
		s.h.WaitStatus("s23226", "DOWN", 10*time.Second)
		stop := s.load()
		r := e2etest.Sysroll(t, "rollback", s.name, "--to", "v1", "--json")
		stop()
		if r.Code != 0 {
			t.Fatalf("rollback --to v1 with an instance stopped: %s", r)
		}
		var first string
		for _, e := range e2etest.ParseEvents(t, r.Stdout) {
			if e.Type == "phase" && e.Phase == "restart" && first == "" {
				first = e.Instance
			}
		}
		if first != "23226" {
			t.Errorf("first restarted %q, want the stopped 23226: %s", first, r)
		}
		if !strings.Contains(r.Stdout, "stepped first") {
			t.Errorf("the output does not say the down instance goes first: %s", r.Stdout)
		}
		s.assertAllOn("v1")
	})
}
