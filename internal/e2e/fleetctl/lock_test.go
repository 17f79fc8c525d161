//go:build integration

package fleetctl

import (
	"os"
	"os/user"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// TestFleetLock: while controller A rolls (lease 4s in the service file, a
// heartbeat every 1.3 s), a second controller's --resume is refused naming
// A (user@machine), the rollout, how long ago A was heard of and
// --take-over; a new fleet deploy is refused saying A runs; a local
// `sysroll deploy` on a host is refused naming the fleet rollout and
// fleet deploy --resume. A is then kill -9'd: right away --resume is still
// refused (the lease has not passed), and once it has, --resume from a
// fresh state directory (no journal: the claims) goes on without
// --take-over, records the take-over on every host and converges.
func TestFleetLock(t *testing.T) {
	s := newServiceFor(t, "fc-lock", 6*time.Second, 25341, 25342)
	s.setStrategy("{batch: 1, lease: 4s}")
	cfg := s.f.SSHConfigPath()
	owner := whoAmI(t)
	var once sync.Once
	began := make(chan struct{})
	a := s.start(func(l line) {
		if l.Host == "h1" && l.Type == "batch-start" {
			once.Do(func() { close(began) })
		}
	}, "fleet", "deploy", s.file(), "--artifact", s.ownRelease("v2", ""), "--version", "v2",
		"--ssh-config", cfg, "--state-dir", t.TempDir(), "--json")
	select {
	case <-began:
	case <-time.After(2 * time.Minute):
		t.Fatal("h1's step never began")
	}
	id := s.claimID(s.f.Host("h3"))

	b := s.controller("fleet", "deploy", s.file(), "--resume", "--ssh-config", cfg, "--state-dir", t.TempDir())
	t.Logf("--resume while A runs: exit %d: %s", b.Code, strings.TrimSpace(b.Stderr))
	for _, want := range []string{"fleet rollout " + id + " is driven by " + owner, "heard of ", "lease 4s",
		"here, to take it over now: sysroll fleet deploy " + s.file() + " --resume --ssh-config " + cfg + " --state-dir "} {
		if b.Code != 1 || !strings.Contains(b.Stderr, want) {
			t.Errorf("--resume while A runs: want exit 1 saying %q: %s", want, b)
		}
	}
	d := s.controller("fleet", "deploy", s.file(), "--artifact", s.ownRelease("v3", ""), "--version", "v3",
		"--ssh-config", cfg, "--state-dir", t.TempDir())
	if d.Code == 0 || !strings.Contains(d.Stderr, "claimed by fleet rollout "+id+" (started by "+owner+")") || !strings.Contains(d.Stderr, "its controller is running") {
		t.Errorf("fleet deploy of v3 while A runs: want a refusal naming %s running: %s", id, d)
	}
	h3 := s.f.Host("h3")
	// Exec's error carries the command's output.
	_, err := h3.Exec(t.Context(), e2etest.BinDir+"/sysroll", "deploy", s.name, "--version", "v2")
	t.Logf("local deploy on h3 while A runs: %v", err)
	if err == nil || !strings.Contains(err.Error(), "deploy of "+s.name+" refused: fleet rollout "+id) || !strings.Contains(err.Error(), "`sysroll fleet deploy FILE --resume`") {
		t.Errorf("a local deploy on h3 while %s is unfinished: want a refusal naming it and fleet deploy --resume: %v", id, err)
	}
	if got := s.releases(h3); got != s.want("v1") {
		t.Errorf("h3 after the refused local deploy: %s", got)
	}

	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	if r := a.wait(t); r.Code == 0 {
		t.Fatalf("the killed controller exited 0: %s", r)
	}
	early := s.controller("fleet", "deploy", s.file(), "--resume", "--ssh-config", cfg, "--state-dir", t.TempDir())
	if early.Code != 1 || !strings.Contains(early.Stderr, "is driven by "+owner) {
		t.Errorf("--resume %v after the kill, within the lease: want it refused: %s", time.Since(killed).Round(100*time.Millisecond), early)
	}
	time.Sleep(time.Until(killed.Add(5 * time.Second)))
	state := t.TempDir()
	r := s.controller("fleet", "deploy", s.file(), "--resume", "--ssh-config", cfg, "--state-dir", state, "--json")
	t.Logf("--resume %v after the kill: exit %d in %v", time.Since(killed).Round(100*time.Millisecond), r.Code, r.Took.Round(100*time.Millisecond))
	if r.Code != 0 {
		t.Fatalf("--resume after the lease passed: %s", r)
	}
	lines, sum := parse(t, r.Stdout)
	if sum.FleetID != id || sum.Result != "succeeded" {
		t.Errorf("--resume summary %+v", sum)
	}
	tookOver := false
	for _, l := range lines {
		if l.Type == "fleet-note" && strings.Contains(l.Message, "fleet rollout "+id+" taken over by "+owner+" from "+owner+" (its lease (4s) expired") {
			tookOver = true
		}
	}
	if !tookOver {
		t.Errorf("--resume does not say it took %s over:\n%s", id, r.Stdout)
	}
	for _, h := range s.f.Hosts() {
		if got := s.releases(h); got != s.want("v2") {
			t.Errorf("%s after --resume: %s, want %s", h.Name(), got, s.want("v2"))
		}
		c := strings.Join(strings.Fields(h.MustExec(t, "cat", "/var/lib/sysroll/"+s.name+"/fleet/"+id+".json")), " ")
		if !strings.Contains(c, `"take_overs": [ { "by": "`+owner+`", "from": "`+owner+`"`) || strings.Contains(c, `"forced"`) || !strings.Contains(c, `"finished": true`) {
			t.Errorf("%s: the claim does not record the take-over (or is not finished): %s", h.Name(), c)
		}
	}
	j := hostOut(t, "sh", "-c", "cat "+state+"/fleet/"+s.name+"/"+id+".json")
	if !strings.Contains(j, `"take_overs"`) {
		t.Errorf("the journal does not record the take-over: %s", j)
	}
}

// whoAmI is the controller's user@machine, as its claims name it.
func whoAmI(t *testing.T) string {
	t.Helper()
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	h, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return u.Username + "@" + h
}
