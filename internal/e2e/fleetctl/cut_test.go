//go:build integration

package fleetctl

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// TestCutLink: h2's link to the controller is cut (nftables drop rules in
// its namespace) while its step runs, for longer than reattach_deadline
// (3 s in the service file). The disconnect path, not a reboot: h2's boot
// ID is the same before and after. h2 keeps serving throughout (every probe
// from inside h2 finds an instance answering) and its step completes there
// on its own; the controller halts naming h2, starts no step on h3, exits 1
// and prints the exact resume command. Once the link is back, --resume
// --dry-run says per host what it would do and changes nothing, --resume
// converges (exit 0, every host on v2) and fleet status exits 0.
func TestCutLink(t *testing.T) {
	s := newServiceFor(t, "fc-cut", 8*time.Second, 25331, 25332)
	c := s.cutMidStep(s.ownRelease("v2", ""))
	h2 := c.h2
	cfg, state, sum := c.cfg, c.state, c.sum
	t.Logf("cut %v; controller ended %v into it; h2's step ended %v into it; %d probes of h2, none without an instance answering",
		c.cutFor.Round(100*time.Millisecond), c.ctlEnded.Round(100*time.Millisecond), c.stepEnded.Round(100*time.Millisecond), c.probes)
	// The step completed on h2 on its own, in the same boot.
	hist := h2.MustExec(t, e2etest.BinDir+"/sysroll", "history", s.name, "--fleet", sum.FleetID, "--json")
	if !strings.Contains(strings.Join(strings.Fields(hist), ""), `"result":"succeeded"`) {
		t.Errorf("h2's record of %s after the cut is not succeeded: %s", sum.FleetID, hist)
	}
	if got := s.releases(h2); got != s.want("v2") {
		t.Errorf("h2 after its step: %s, want %s", got, s.want("v2"))
	}
	if b := bootID(t, h2); b != c.boot {
		t.Fatalf("h2 rebooted (boot ID %s, was %s): this test is of a disconnect", b, c.boot)
	}

	// --resume --dry-run: a decision per host, nothing changed.
	before := map[string]string{}
	for _, h := range s.f.Hosts() {
		before[h.Name()] = s.claimFootprint(h)
	}
	journal := hostOut(t, "sh", "-c", "cat "+state+"/fleet/"+s.name+"/*.json | sha256sum")
	start := time.Now()
	dry := s.controller("fleet", "deploy", s.file(), "--resume", "--dry-run", "--ssh-config", cfg, "--state-dir", state, "--json")
	if dry.Code != 0 {
		t.Fatalf("--resume --dry-run: %s", dry)
	}
	_, dsum := parse(t, dry.Stdout)
	t.Logf("--resume --dry-run: %+v", dsum.Hosts)
	dgot := map[string]string{}
	for _, h := range dsum.Hosts {
		dgot[h.Host] = h.Result
	}
	if dsum.FleetID != sum.FleetID || dgot["h1"] != "would done" || dgot["h2"] != "would done" || dgot["h3"] != "would continue" {
		t.Errorf("--resume --dry-run of %s: %v, want h1 done, h2 done, h3 continue:\n%s", sum.FleetID, dgot, dry.Stdout)
	}
	for _, h := range s.f.Hosts() {
		if after := s.claimFootprint(h); after != before[h.Name()] {
			t.Errorf("%s: the dry run changed it:\nbefore %s\nafter  %s", h.Name(), before[h.Name()], after)
		}
	}
	if j := hostOut(t, "sh", "-c", "cat "+state+"/fleet/"+s.name+"/*.json | sha256sum"); j != journal {
		t.Errorf("the dry run changed the journal")
	}

	// --resume converges.
	res := s.controller("fleet", "deploy", s.file(), "--resume", "--ssh-config", cfg, "--state-dir", state, "--json")
	if res.Code != 0 {
		t.Fatalf("--resume after the link returned: %s", res)
	}
	_, rsum := parse(t, res.Stdout)
	if rsum.Result != "succeeded" || rsum.FleetID != sum.FleetID {
		t.Errorf("--resume summary %+v", rsum)
	}
	for _, h := range s.f.Hosts() {
		if got := s.releases(h); got != s.want("v2") {
			t.Errorf("%s after --resume: %s, want %s", h.Name(), got, s.want("v2"))
		}
	}
	st := s.controller("fleet", "status", s.file(), "--ssh-config", cfg)
	if st.Code != 0 {
		t.Errorf("fleet status after --resume: %s", st)
	}
	t.Logf("converged %v after the link returned (dry run %v, resume %v)", time.Since(start).Round(100*time.Millisecond),
		dry.Took.Round(100*time.Millisecond), res.Took.Round(100*time.Millisecond))
}

// cut is what cutMidStep saw.
type cut struct {
	h2                          *e2etest.Host
	cfg, state, boot            string
	r                           result
	sum                         line
	cutFor, ctlEnded, stepEnded time.Duration
	probes                      int
}

// cutMidStep rolls artifact out as v2 (reattach_deadline 3s, keepalives
// every second) and cuts h2's link once its step began, until that step
// ended on its own; it probes h2's instances from inside h2 meanwhile.
// It checks what any cut mid-step must give: every probe found an
// instance answering, the step outlived the controller, which exited 1
// halted naming h2 unknown and printing the exact resume command, with h1
// succeeded and h3 untouched (no instance restarted, no rollout record:
// the release was copied and staged there before the first batch, by
// design).
func (s *service) cutMidStep(artifact string) *cut {
	t := s.t
	t.Helper()
	s.setStrategy("{batch: 1, reattach_deadline: 3s}")
	h2, h3 := s.f.Host("h2"), s.f.Host("h3")
	c := &cut{h2: h2, cfg: s.sshConfigFast(), state: t.TempDir(), boot: bootID(t, h2)}
	h3Before := s.invocations(h3)
	if strings.Count(h3Before, "InvocationID=") != len(s.ports) {
		t.Fatalf("h3's units: %s", h3Before)
	}
	var once sync.Once
	began := make(chan struct{})
	run := s.start(func(l line) {
		if l.Host == "h2" && l.Type == "batch-start" {
			once.Do(func() { close(began) })
		}
	}, "fleet", "deploy", s.file(), "--artifact", artifact, "--version", "v2",
		"--ssh-config", c.cfg, "--state-dir", c.state, "--json")
	select {
	case <-began:
	case <-time.After(2 * time.Minute):
		t.Fatal("h2's step never began")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h2.CutNetwork(ctx); err != nil {
		t.Fatal(err)
	}
	cutAt := time.Now()
	t.Cleanup(func() { _ = h2.RestoreNetwork(context.Background()) })
	probe := startProbe(h2, s.ports)

	c.r = run.wait(t)
	c.ctlEnded = time.Since(cutAt)
	// The step goes on without the controller: wait for it with the link
	// still cut (the wait runs inside h2, not over SSH).
	s.waitNoStep(h2)
	c.stepEnded = time.Since(cutAt)
	if err := h2.RestoreNetwork(ctx); err != nil {
		t.Fatal(err)
	}
	c.cutFor = time.Since(cutAt)
	n, bad := probe.stop()
	c.probes = n
	if n < 10 || len(bad) > 0 {
		t.Errorf("h2 during the cut: %d probes, these without an instance answering: %v", n, bad)
	}
	if c.stepEnded-c.ctlEnded < time.Second {
		t.Errorf("h2's step ended %v after the controller: the cut did not land mid-step", c.stepEnded-c.ctlEnded)
	}

	r := c.r
	if r.Code != 1 {
		t.Fatalf("fleet deploy across a long cut: want exit 1: %s", r)
	}
	lines, sum := parse(t, r.Stdout)
	c.sum = sum
	got := map[string]string{}
	for _, h := range sum.Hosts {
		got[h.Host] = h.Result
	}
	if sum.Result != "halted" || got["h1"] != "succeeded" || got["h2"] != "unknown" || got["h3"] != "untouched" {
		t.Errorf("summary %s %v, want halted with h1 succeeded, h2 unknown, h3 untouched:\n%s", sum.Result, got, r.Stdout)
	}
	resume := "sysroll fleet deploy " + s.file() + " --resume --ssh-config " + c.cfg + " --state-dir " + c.state
	named, printed := false, false
	for _, l := range lines {
		if l.Host == "h3" && (l.Seq > 0 || strings.HasPrefix(l.Message, "started ")) {
			t.Errorf("h3 was started: %+v", l)
		}
		if l.Type == "fleet-note" && l.Host == "" && strings.Contains(l.Message, "h2 still unknown") {
			named = true
		}
		if l.Type == "fleet-note" && strings.HasSuffix(l.Message, "resume it with: "+resume) {
			printed = true
		}
	}
	if !named || !printed {
		t.Errorf("the controller's account names h2 unknown: %v; prints %q: %v:\n%s", named, resume, printed, r.Stdout)
	}
	if after := s.invocations(h3); after != h3Before {
		t.Errorf("h3's instances were restarted:\nbefore %s\nafter  %s", h3Before, after)
	}
	if n := strings.TrimSpace(h3.MustExec(t, "sh", "-c", e2etest.BinDir+"/sysroll history "+s.name+" --json | grep -c fleet_id || true")); n != "0" {
		t.Errorf("h3 has %s fleet records: it was started", n)
	}
	if got := s.releases(h3); got != s.want("v1") {
		t.Errorf("h3 after the halt: %s, want %s", got, s.want("v1"))
	}
	return c
}

// ownRelease is release with a file naming the service: an artifact no
// other test's v2 shares (the hosts keep pushed artifacts by sha256, and
// a later test's first deploy must still send its own).
func (s *service) ownRelease(version, failOn string) string {
	s.t.Helper()
	dir := s.release(version, failOn)
	if err := os.WriteFile(filepath.Join(dir, "service"), []byte(s.name+"\n"), 0o644); err != nil {
		s.t.Fatal(err)
	}
	return dir
}

// setStrategy replaces the controller's fleet.hosts in the service file.
func (s *service) setStrategy(hosts string) {
	s.t.Helper()
	data, err := os.ReadFile(s.file())
	if err != nil {
		s.t.Fatal(err)
	}
	out := strings.Replace(string(data), "  hosts: {batch: 1}\n", "  hosts: "+hosts+"\n", 1)
	if out == string(data) {
		s.t.Fatalf("no fleet.hosts line in %s", s.file())
	}
	if err := os.WriteFile(s.file(), []byte(out), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

// invocations is the systemd invocation ID of each of the service's
// units on h: a restart changes it.
func (s *service) invocations(h *e2etest.Host) string {
	s.t.Helper()
	argv := []string{"systemctl", "show", "-p", "Id", "-p", "InvocationID"}
	for _, p := range s.ports {
		argv = append(argv, s.name+"@"+strconv.Itoa(p)+".service")
	}
	return h.MustExec(s.t, argv...)
}

// bootID is h's kernel boot ID.
func bootID(t *testing.T, h *e2etest.Host) string {
	t.Helper()
	return strings.TrimSpace(h.MustExec(t, "cat", "/proc/sys/kernel/random/boot_id"))
}

// probe asks, every 200 ms from inside h (not over the link), whether any
// instance of the service answers its health URL on loopback.
type probe struct {
	done chan struct{}
	mu   sync.Mutex
	n    int
	bad  []string // when, and what, of each probe no instance answered
	wg   sync.WaitGroup
}

func startProbe(h *e2etest.Host, ports []int) *probe {
	p := &probe{done: make(chan struct{})}
	script := "ok=0; for p in"
	for _, port := range ports {
		script += " " + strconv.Itoa(port)
	}
	script += "; do curl -fsS -m 1 -o /dev/null http://127.0.0.1:$p/healthz && ok=$((ok+1)); done; echo $ok"
	start := time.Now()
	p.wg.Go(func() {
		for {
			select {
			case <-p.done:
				return
			case <-time.After(200 * time.Millisecond):
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			out, err := h.Exec(ctx, "sh", "-c", script)
			cancel()
			p.mu.Lock()
			p.n++
			if err != nil || strings.TrimSpace(string(out)) == "0" {
				p.bad = append(p.bad, time.Since(start).Round(100*time.Millisecond).String()+": "+strings.TrimSpace(string(out))+errString(err))
			}
			p.mu.Unlock()
		}
	})
	return p
}

// stop ends the probe and returns how many probes ran and the failed ones.
func (p *probe) stop() (int, []string) {
	close(p.done)
	p.wg.Wait()
	return p.n, p.bad
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return " (" + err.Error() + ")"
}

// TestCutLinkStepFails: as TestCutLink, but v2 fails its health gate on h2
// (a file there makes hello fail at start): cut off, h2's step reverts
// there on its own (its failed batch, the second instance) and keeps
// serving throughout. Once the link is back, --resume --dry-run says h2
// failed while the controller was away, and --resume hands that to the
// failure action: it exits 1, h2 stays as its step left it, h3 is never
// started.
func TestCutLinkStepFails(t *testing.T) {
	s := newServiceFor(t, "fc-cutfail", 8*time.Second, 25351, 25352)
	marker := "/etc/fc-cutfail-here"
	h2, h3 := s.f.Host("h2"), s.f.Host("h3")
	h2.MustExec(t, "touch", marker)
	t.Cleanup(func() { h2.MustExec(t, "rm", "-f", marker) })
	// v2 fails at start on h2's second instance only: its step passes the
	// first and fails the second, long enough to outlive the controller.
	rel := s.ownRelease("v2", "")
	script := fmt.Sprintf("#!/bin/sh\n[ -e %s ] && [ \"$2\" = %d ] && exec %s/hello --version v2 --fail-at-start \"$@\"\nexec %s/hello --version v2 \"$@\"\n",
		marker, s.ports[1], e2etest.BinDir, e2etest.BinDir)
	if err := os.WriteFile(filepath.Join(rel, "hello"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	c := s.cutMidStep(rel)
	t.Logf("cut %v; controller ended %v into it; h2's step ended %v into it; %d probes of h2, none without an instance answering",
		c.cutFor.Round(100*time.Millisecond), c.ctlEnded.Round(100*time.Millisecond), c.stepEnded.Round(100*time.Millisecond), c.probes)
	hist := h2.MustExec(t, e2etest.BinDir+"/sysroll", "history", s.name, "--fleet", c.sum.FleetID, "--json")
	if !strings.Contains(strings.Join(strings.Fields(hist), ""), `"result":"rolled-back"`) {
		t.Errorf("h2's record of %s after the cut is not rolled-back: %s", c.sum.FleetID, hist)
	}
	// The host's own failure action reverted its failed batch (the second
	// instance); the first stays on v2, healthy: a host rollout's
	// "rolled-back".
	reverted := "v2:healthy v1:healthy"
	if got := s.releases(h2); got != reverted {
		t.Errorf("h2 after its step reverted: %s, want %s", got, reverted)
	}

	dry := s.controller("fleet", "deploy", s.file(), "--resume", "--dry-run", "--ssh-config", c.cfg, "--state-dir", c.state, "--json")
	if dry.Code != 0 {
		t.Fatalf("--resume --dry-run: %s", dry)
	}
	_, dsum := parse(t, dry.Stdout)
	t.Logf("--resume --dry-run: %+v", dsum.Hosts)
	dgot := map[string]string{}
	for _, h := range dsum.Hosts {
		dgot[h.Host] = h.Result
	}
	if dgot["h1"] != "would done" || dgot["h2"] != "would failure" || dgot["h3"] != "would continue" {
		t.Errorf("--resume --dry-run: %v, want h1 done, h2 failure, h3 continue:\n%s", dgot, dry.Stdout)
	}

	res := s.controller("fleet", "deploy", s.file(), "--resume", "--ssh-config", c.cfg, "--state-dir", c.state, "--json")
	if res.Code != 1 {
		t.Fatalf("--resume of a rollout whose h2 failed: want exit 1: %s", res)
	}
	_, rsum := parse(t, res.Stdout)
	t.Logf("--resume: %s (%v) in %v", rsum.Result, rsum.Hosts, res.Took.Round(100*time.Millisecond))
	if got := s.releases(h2); got != reverted {
		t.Errorf("h2 after --resume: %s, want %s (as its step left it)", got, reverted)
	}
	if got := s.releases(h3); got != s.want("v1") {
		t.Errorf("h3 after --resume: %s, want %s (never started)", got, s.want("v1"))
	}
	if n := strings.TrimSpace(h3.MustExec(t, "sh", "-c", e2etest.BinDir+"/sysroll history "+s.name+" --json | grep -c fleet_id || true")); n != "0" {
		t.Errorf("h3 has %s fleet records after --resume: it was started", n)
	}
}
