//go:build integration

package fleetctl

import (
	"context"
	"os"
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
	s.setStrategy("{batch: 1, reattach_deadline: 3s}")
	h2, h3 := s.f.Host("h2"), s.f.Host("h3")
	cfg := s.sshConfigFast()
	state := t.TempDir()
	boot := bootID(t, h2)
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
	}, "fleet", "deploy", s.file(), "--artifact", s.release("v2", ""), "--version", "v2",
		"--ssh-config", cfg, "--state-dir", state, "--json")
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

	r := run.wait(t)
	ctlEnded := time.Since(cutAt)
	// The step goes on without the controller: wait for it with the link
	// still cut (the wait runs inside h2, not over SSH).
	s.waitNoStep(h2)
	stepEnded := time.Since(cutAt)
	if err := h2.RestoreNetwork(ctx); err != nil {
		t.Fatal(err)
	}
	cutFor := time.Since(cutAt)
	n, bad := probe.stop()
	t.Logf("cut %v; controller ended %v into it; h2's step ended %v into it; %d probes of h2, %d without an instance answering",
		cutFor.Round(100*time.Millisecond), ctlEnded.Round(100*time.Millisecond), stepEnded.Round(100*time.Millisecond), n, len(bad))
	if n < 10 || len(bad) > 0 {
		t.Errorf("h2 during the cut: %d probes, these without an instance answering: %v", n, bad)
	}
	if stepEnded-ctlEnded < time.Second {
		t.Errorf("h2's step ended %v after the controller: the cut did not land mid-step", stepEnded-ctlEnded)
	}

	if r.code != 1 {
		t.Fatalf("fleet deploy across a long cut: want exit 1: %s", r)
	}
	lines, sum := parse(t, r.stdout)
	got := map[string]string{}
	for _, h := range sum.Hosts {
		got[h.Host] = h.Result
	}
	if sum.Result != "halted" || got["h1"] != "succeeded" || got["h2"] != "unknown" || got["h3"] != "untouched" {
		t.Errorf("summary %s %v, want halted with h1 succeeded, h2 unknown, h3 untouched:\n%s", sum.Result, got, r.stdout)
	}
	resume := "sysroll fleet deploy " + s.file() + " --resume --ssh-config " + cfg + " --state-dir " + state
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
		t.Errorf("the controller's account names h2 unknown: %v; prints %q: %v:\n%s", named, resume, printed, r.stdout)
	}
	// The release was copied and staged on h3 before the first batch (by
	// design); untouched is: no instance restarted, no rollout record.
	if after := s.invocations(h3); after != h3Before {
		t.Errorf("h3's instances were restarted:\nbefore %s\nafter  %s", h3Before, after)
	}
	if n := strings.TrimSpace(hostExec(t, h3, "sh", "-c", e2etest.BinDir+"/sysroll history "+s.name+" --json | grep -c fleet_id || true")); n != "0" {
		t.Errorf("h3 has %s fleet records: it was started", n)
	}
	if got := s.releases(h3); got != s.want("v1") {
		t.Errorf("h3 after the halt: %s, want %s", got, s.want("v1"))
	}
	// The step completed on h2 on its own, in the same boot.
	hist := hostExec(t, h2, e2etest.BinDir+"/sysroll", "history", s.name, "--fleet", sum.FleetID, "--json")
	if !strings.Contains(hist, `"result": "succeeded"`) && !strings.Contains(hist, `"result":"succeeded"`) {
		t.Errorf("h2's record of %s after the cut is not succeeded: %s", sum.FleetID, hist)
	}
	if got := s.releases(h2); got != s.want("v2") {
		t.Errorf("h2 after its step: %s, want %s", got, s.want("v2"))
	}
	if b := bootID(t, h2); b != boot {
		t.Fatalf("h2 rebooted (boot ID %s, was %s): this test is of a disconnect", b, boot)
	}

	// --resume --dry-run: a decision per host, nothing changed.
	before := map[string]string{}
	for _, h := range s.f.Hosts() {
		before[h.Name()] = s.claimFootprint(h)
	}
	journal := hostOut(t, "sh", "-c", "cat "+state+"/fleet/"+s.name+"/*.json | sha256sum")
	start := time.Now()
	dry := s.controller("fleet", "deploy", s.file(), "--resume", "--dry-run", "--ssh-config", cfg, "--state-dir", state, "--json")
	if dry.code != 0 {
		t.Fatalf("--resume --dry-run: %s", dry)
	}
	_, dsum := parse(t, dry.stdout)
	t.Logf("--resume --dry-run: %+v", dsum.Hosts)
	dgot := map[string]string{}
	for _, h := range dsum.Hosts {
		dgot[h.Host] = h.Result
	}
	if dsum.FleetID != sum.FleetID || dgot["h1"] != "would done" || dgot["h2"] != "would done" || dgot["h3"] != "would continue" {
		t.Errorf("--resume --dry-run of %s: %v, want h1 done, h2 done, h3 continue:\n%s", sum.FleetID, dgot, dry.stdout)
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
	if res.code != 0 {
		t.Fatalf("--resume after the link returned: %s", res)
	}
	_, rsum := parse(t, res.stdout)
	if rsum.Result != "succeeded" || rsum.FleetID != sum.FleetID {
		t.Errorf("--resume summary %+v", rsum)
	}
	for _, h := range s.f.Hosts() {
		if got := s.releases(h); got != s.want("v2") {
			t.Errorf("%s after --resume: %s, want %s", h.Name(), got, s.want("v2"))
		}
	}
	st := s.controller("fleet", "status", s.file(), "--ssh-config", cfg)
	if st.code != 0 {
		t.Errorf("fleet status after --resume: %s", st)
	}
	t.Logf("converged %v after the link returned (dry run %v, resume %v)", time.Since(start).Round(100*time.Millisecond),
		dry.took.Round(100*time.Millisecond), res.took.Round(100*time.Millisecond))
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
	return hostExec(s.t, h, argv...)
}

// bootID is h's kernel boot ID.
func bootID(t *testing.T, h *e2etest.Host) string {
	t.Helper()
	return strings.TrimSpace(hostExec(t, h, "cat", "/proc/sys/kernel/random/boot_id"))
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
