//go:build integration

package fleetctl

import (
	"strings"
	"testing"
)

// TestDamagedBuildRefused: the controller's build on h2, at its
// content-addressed path, no longer hashes to the controller's (a byte
// appended: it still runs). The rollout is refused at the handshake,
// naming h2, the path and the fix, before anything is copied or
// restarted anywhere; once the file is removed, the next deploy copies
// the build afresh and succeeds.
func TestDamagedBuildRefused(t *testing.T) {
	s := newService(t, "fc-build", 25325)
	// A first deploy puts the build on every host. Its releases are named
	// b2, b3 (content of their own): releases are content-addressed on the
	// hosts, and the other tests' v2 must still be new to them.
	if r := s.controller("fleet", "deploy", s.file(), "--artifact", s.release("b2", ""), "--version", "b2", "--ssh-config", s.f.SSHConfigPath()); r.Code != 0 {
		t.Fatalf("fleet deploy b2: %s", r)
	}
	h2 := s.f.Host("h2")
	bin := strings.TrimSpace(h2.MustExec(t, "sh", "-c", "ls /var/lib/sysroll/.bin/sysroll-* | head -1"))
	h2.MustExec(t, "sh", "-c", "printf x >> "+bin)
	before := map[string]string{}
	for _, h := range s.f.Hosts() {
		before[h.Name()] = s.releases(h)
	}
	r := s.controller("fleet", "deploy", s.file(), "--artifact", s.release("b3", ""), "--version", "b3", "--ssh-config", s.f.SSHConfigPath())
	t.Logf("refusal:\n%s", r.Stderr)
	if r.Code != 1 || !strings.Contains(r.Stderr, "refused at handshake") || !strings.Contains(r.Stderr, "h2: the sysroll build at "+bin) || !strings.Contains(r.Stderr, "remove it") {
		t.Fatalf("fleet deploy with h2's build damaged: %s", r)
	}
	for _, h := range s.f.Hosts() {
		if got := s.releases(h); got != before[h.Name()] {
			t.Errorf("%s: instances %s, want %s as before", h.Name(), got, before[h.Name()])
		}
	}
	h2.MustExec(t, "rm", "-f", bin)
	if r := s.controller("fleet", "deploy", s.file(), "--artifact", s.release("b3", ""), "--version", "b3", "--ssh-config", s.f.SSHConfigPath()); r.Code != 0 {
		t.Fatalf("fleet deploy b3 after removing the damaged build: %s", r)
	}
	for _, h := range s.f.Hosts() {
		if got := s.releases(h); got != s.want("b3") {
			t.Errorf("%s: instances %s, want %s", h.Name(), got, s.want("b3"))
		}
	}
}
