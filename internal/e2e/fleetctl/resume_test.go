//go:build integration

package fleetctl

import (
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// TestResumeAfterKill: the controller is killed (SIGKILL: no cleanup at
// all) while h2's step runs. The host steps finish on their own: h2 ends
// on v2, h3 stays untouched on v1, nothing is left stopped. While the
// claims are unfinished, a new fleet deploy (v3) is refused, naming the
// rollout and --resume. From a fresh --state-dir (no journal: it is
// rebuilt from the hosts' claims), --resume --dry-run says h1 done, h2
// done, h3 continue and changes nothing; --resume then rolls h3, and every
// host ends on v2 with its claims finished.
func TestResumeAfterKill(t *testing.T) {
	s := newServiceFor(t, "fr-kill", 3*time.Second, 25311, 25312)
	cfg := s.f.SSHConfigPath()
	var once sync.Once
	h2began := make(chan struct{})
	run := s.start(func(l line) {
		if l.Host == "h2" && l.Type == "batch-start" {
			once.Do(func() { close(h2began) })
		}
	}, "fleet", "deploy", s.file(), "--artifact", s.release("v2", ""), "--version", "v2",
		"--ssh-config", cfg, "--state-dir", t.TempDir(), "--json")
	select {
	case <-h2began:
	case <-time.After(2 * time.Minute):
		t.Fatal("h2's step never began")
	}
	if err := run.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := run.wait(t)
	if killed.Code == 0 {
		t.Fatalf("the killed controller exited 0: %s", killed)
	}
	for _, h := range s.f.Hosts() {
		s.waitNoStep(h)
	}
	for n, want := range map[string]string{"h1": s.want("v2"), "h2": s.want("v2"), "h3": s.want("v1")} {
		if got := s.releases(s.f.Host(n)); got != want {
			t.Errorf("%s after the kill: instances %s, want %s", n, got, want)
		}
	}
	id := s.claimID(s.f.Host("h3"))

	// A new rollout is refused while the claims are unfinished.
	r := s.controller("fleet", "deploy", s.file(), "--artifact", s.release("v3", ""), "--version", "v3",
		"--ssh-config", cfg, "--state-dir", t.TempDir())
	t.Logf("fleet deploy of v3 while %s is unfinished: exit %d: %s", id, r.Code, strings.TrimSpace(r.Stderr))
	if r.Code == 0 || !strings.Contains(r.Stderr, "fleet rollout "+id) || !strings.Contains(r.Stderr, "--resume") {
		t.Errorf("fleet deploy of v3 while %s is unfinished: want a refusal naming it and --resume: %s", id, r)
	}
	if got := s.releases(s.f.Host("h3")); got != s.want("v1") {
		t.Errorf("h3 after the refused v3: %s", got)
	}

	// --resume --dry-run from a fresh state directory changes nothing.
	before := map[string]string{}
	for _, h := range s.f.Hosts() {
		before[h.Name()] = s.claimFootprint(h)
	}
	fresh := t.TempDir()
	r = s.controller("fleet", "deploy", s.file(), "--resume", "--dry-run", "--ssh-config", cfg, "--state-dir", fresh, "--json")
	if r.Code != 0 {
		t.Fatalf("--resume --dry-run: %s", r)
	}
	_, sum := parse(t, r.Stdout)
	t.Logf("--resume --dry-run of %s: %+v", id, sum.Hosts)
	got := map[string]string{}
	for _, h := range sum.Hosts {
		got[h.Host] = h.Result
	}
	if got["h1"] != "would done" || (got["h2"] != "would done" && got["h2"] != "would reattach") || got["h3"] != "would continue" || sum.FleetID != id {
		t.Errorf("--resume --dry-run of %s: %v, want h1 done, h2 done (or reattach), h3 continue:\n%s", id, got, r.Stdout)
	}
	for _, h := range s.f.Hosts() {
		if after := s.claimFootprint(h); after != before[h.Name()] {
			t.Errorf("%s: the dry run changed it:\nbefore %s\nafter  %s", h.Name(), before[h.Name()], after)
		}
	}
	if out := hostOut(t, "find", fresh, "-type", "f"); out != "" {
		t.Errorf("the dry run wrote to its state dir: %s", out)
	}

	// --resume completes h3; --take-over: the killed controller's lease
	// (30s) has not expired yet, and we know it is gone.
	r = s.controller("fleet", "deploy", s.file(), "--resume", "--take-over", "--ssh-config", cfg, "--state-dir", fresh, "--json")
	if r.Code != 0 {
		t.Fatalf("--resume: %s", r)
	}
	_, sum = parse(t, r.Stdout)
	if sum.Result != "succeeded" || sum.FleetID != id {
		t.Errorf("--resume summary %+v", sum)
	}
	for _, h := range s.f.Hosts() {
		if got := s.releases(h); got != s.want("v2") {
			t.Errorf("%s after --resume: %s, want %s", h.Name(), got, s.want("v2"))
		}
		if c := h.MustExec(t, "cat", "/var/lib/sysroll/fr-kill/fleet/"+id+".json"); !strings.Contains(c, `"finished": true`) && !strings.Contains(c, `"finished":true`) {
			t.Errorf("%s: claim not finished after --resume: %s", h.Name(), c)
		}
	}
	// Nothing is left to resume: exit 2.
	r = s.controller("fleet", "deploy", s.file(), "--resume", "--ssh-config", cfg, "--state-dir", t.TempDir())
	if r.Code != 2 || !strings.Contains(r.Stderr, "no unfinished fleet rollout") {
		t.Errorf("--resume with nothing unfinished: want exit 2 saying so: %s", r)
	}
}

// waitNoStep waits until no fleet step's transient unit runs on h.
func (s *service) waitNoStep(h *e2etest.Host) {
	s.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		out := h.MustExec(s.t, "sh", "-c", "systemctl list-units --no-legend --plain --state=active,activating,deactivating 'sysroll-fleet-*' || true")
		if strings.TrimSpace(out) == "" {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s: fleet steps still running after 2 minutes: %s", h.Name(), out)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// claimID is the fleet ID of the one claim on h.
func (s *service) claimID(h *e2etest.Host) string {
	s.t.Helper()
	out := strings.Fields(h.MustExec(s.t, "sh", "-c", "cd /var/lib/sysroll/"+s.name+"/fleet && ls *.json"))
	if len(out) != 1 {
		s.t.Fatalf("%s: claims %v, want one", h.Name(), out)
	}
	return strings.TrimSuffix(out[0], ".json")
}

// claimFootprint is what a rollout changes on h: the fleet directory's files
// and their contents, the history, the instances.
func (s *service) claimFootprint(h *e2etest.Host) string {
	return h.MustExec(s.t, "sh", "-c", "cd /var/lib/sysroll/"+s.name+"/fleet && ls -l --time-style=+%s && cat *.json | sha256sum; "+
		e2etest.BinDir+"/sysroll history "+s.name+" --json | sha256sum") + s.releases(h)
}

// hostOut runs argv on the machine (the controller's side).
func hostOut(t *testing.T, argv ...string) string {
	t.Helper()
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(argv, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}
