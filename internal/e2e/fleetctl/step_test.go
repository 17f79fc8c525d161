//go:build integration

package fleetctl

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// TestResumeKilledStep: the controller and h2's host step are both killed
// with SIGKILL mid-way, so h2's record stays "running". --resume (from a
// fresh state dir) decides resume-step for h2, runs the host's own
// `deploy --resume` there under systemd-run, then rolls h3: every host ends
// on v2, every instance healthy.
func TestResumeKilledStep(t *testing.T) {
	s := newServiceFor(t, "fr-step", 3*time.Second, 25321, 25322)
	cfg := s.f.SSHConfigPath()
	h2 := s.f.Host("h2")
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
	run.wait(t)
	h2.MustExec(t, "sh", "-c", "systemctl kill --kill-whom=main -s KILL 'sysroll-fleet-fr-step-*'")
	for _, h := range s.f.Hosts() {
		s.waitNoStep(h)
	}
	id := s.claimID(h2)
	if out := h2.MustExec(t, "sh", "-c", e2etest.BinDir+"/sysroll history fr-step --fleet "+id+" --json || true"); !strings.Contains(out, `"result":"running"`) && !strings.Contains(out, `"result": "running"`) {
		t.Fatalf("h2's record after the kill is not running (the test's premise): %s", out)
	}

	fresh := t.TempDir()
	r := s.controller("fleet", "deploy", s.file(), "--resume", "--dry-run", "--ssh-config", cfg, "--state-dir", fresh, "--json")
	if r.Code != 0 {
		t.Fatalf("--resume --dry-run: %s", r)
	}
	_, sum := parse(t, r.Stdout)
	t.Logf("--resume --dry-run of %s: %+v", id, sum.Hosts)
	got := map[string]string{}
	for _, h := range sum.Hosts {
		got[h.Host] = h.Result
	}
	if got["h1"] != "would done" || got["h2"] != "would resume-step" || got["h3"] != "would continue" {
		t.Errorf("--resume --dry-run: %v, want h1 done, h2 resume-step, h3 continue:\n%s", got, r.Stdout)
	}
	// --take-over: the killed controller's lease (30s) has not expired
	// yet, and we know it is gone.
	r = s.controller("fleet", "deploy", s.file(), "--resume", "--take-over", "--ssh-config", cfg, "--state-dir", fresh, "--json")
	if r.Code != 0 {
		t.Fatalf("--resume: %s", r)
	}
	lines, sum := parse(t, r.Stdout)
	if sum.Result != "succeeded" {
		t.Errorf("--resume summary %+v", sum)
	}
	resumed := false
	for _, l := range lines {
		if l.Host == "h2" && l.Type == "fleet-note" && strings.Contains(l.Message, "deploy fr-step --resume") {
			resumed = true
		}
	}
	if !resumed {
		t.Errorf("h2's step was not started as deploy --resume:\n%s", r.Stdout)
	}
	for _, h := range s.f.Hosts() {
		if got := s.releases(h); got != s.want("v2") {
			t.Errorf("%s after --resume: %s, want %s", h.Name(), got, s.want("v2"))
		}
	}
}
