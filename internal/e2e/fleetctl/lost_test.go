//go:build integration

package fleetctl

import (
	"context"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestLostLink: h2's link to the controller is cut for 6 s while its step
// runs. The step goes on there on its own; the controller notices (keepalive),
// reattaches at the offset it had and gets every event exactly once (the
// events file's seq numbers arrive 1, 2, ... without a gap or a repeat),
// and the rollout ends with every host on v2.
func TestLostLink(t *testing.T) {
	s := newServiceFor(t, "fc-lost", 3*time.Second, 25141, 25142)
	h2 := s.f.Host("h2")
	var once sync.Once
	cut := make(chan struct{})
	run := s.start(func(l line) {
		if l.Host == "h2" && l.Type == "batch-start" {
			once.Do(func() { close(cut) })
		}
	}, "fleet", "deploy", s.file(), "--artifact", s.release("v2", ""), "--version", "v2",
		"--ssh-config", s.sshConfigFast(), "--state-dir", t.TempDir(), "--json")
	select {
	case <-cut:
	case <-time.After(2 * time.Minute):
		t.Fatal("h2's step never began")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h2.CutNetwork(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h2.RestoreNetwork(context.Background()) })
	time.Sleep(6 * time.Second)
	if err := h2.RestoreNetwork(ctx); err != nil {
		t.Fatal(err)
	}
	r := run.wait(t)
	if r.Code != 0 {
		t.Fatalf("fleet deploy across a cut link: %s", r)
	}
	lines, _ := parse(t, r.Stdout)
	var seqs []int
	reattached := false
	for _, l := range lines {
		if l.Host != "h2" {
			continue
		}
		if l.Type == "fleet-note" && strings.Contains(l.Message, "reattaching at byte") {
			reattached = true
			t.Logf("h2: %s", l.Message)
		}
		if l.Seq > 0 {
			seqs = append(seqs, l.Seq)
		}
	}
	if !reattached {
		t.Errorf("the controller never reattached to h2:\n%s", r.Stdout)
	}
	if len(seqs) == 0 {
		t.Fatal("no event of h2")
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Errorf("h2's events arrived as seq %v: a gap or a repeat", seqs)
			break
		}
	}
	for _, h := range s.f.Hosts() {
		if got := s.releases(h); got != s.want("v2") {
			t.Errorf("%s: instances %s, want %s", h.Name(), got, s.want("v2"))
		}
	}
}

// TestInterrupt: SIGINT to the controller while h1 rolls stops h1's step
// at its safe point (every instance healthy, none left stopped), starts no
// other host, and exits 1 naming the hosts' results.
func TestInterrupt(t *testing.T) {
	s := newServiceFor(t, "fc-int", 3*time.Second, 25151, 25152)
	var once sync.Once
	began := make(chan struct{})
	run := s.start(func(l line) {
		if l.Host == "h1" && l.Type == "batch-start" {
			once.Do(func() { close(began) })
		}
	}, "fleet", "deploy", s.file(), "--artifact", s.release("v2", ""), "--version", "v2",
		"--ssh-config", s.f.SSHConfigPath(), "--state-dir", t.TempDir(), "--json")
	select {
	case <-began:
	case <-time.After(2 * time.Minute):
		t.Fatal("h1's step never began")
	}
	if err := run.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	r := run.wait(t)
	if r.Code != 1 {
		t.Fatalf("interrupted fleet deploy: %s", r)
	}
	_, sum := parse(t, r.Stdout)
	got := map[string]string{}
	for _, h := range sum.Hosts {
		got[h.Host] = h.Result
	}
	if got["h1"] != "interrupted" || got["h2"] != "untouched" || got["h3"] != "untouched" || sum.Result != "interrupted" {
		t.Errorf("summary %+v, want h1 interrupted, h2 and h3 untouched:\n%s", sum, r.Stdout)
	}
	st := s.status(s.f.Host("h1"))
	for _, in := range st.Instances {
		if in.Health != "healthy" {
			t.Errorf("h1: %s is %s after the interrupt", in.Instance, in.Health)
		}
	}
	for _, n := range []string{"h2", "h3"} {
		if got := s.releases(s.f.Host(n)); got != s.want("v1") {
			t.Errorf("%s: instances %s, want %s", n, got, s.want("v1"))
		}
	}
}
