//go:build integration

package fleetctl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnknownHostKey: with h3 missing from known_hosts the rollout is
// refused before anything is done on any host: the message names h3 and
// the fingerprint it offered, and no host has a fleet directory, a new
// staged artifact or a fleet record afterwards.
func TestUnknownHostKey(t *testing.T) {
	s := newService(t, "fc-key", 25111, 25112)
	kh := filepath.Join(s.local, "known_hosts")
	cfg := filepath.Join(s.local, "ssh_config")
	if err := s.f.WriteKnownHosts(kh, "h1", "h2"); err != nil {
		t.Fatal(err)
	}
	if err := s.f.WriteSSHConfig(cfg, kh); err != nil {
		t.Fatal(err)
	}
	before := map[string]string{}
	for _, h := range s.f.Hosts() {
		before[h.Name()] = s.footprint(h)
	}
	state := t.TempDir()
	r := s.controller("fleet", "deploy", s.file(), "--artifact", s.release("v2", ""), "--version", "v2",
		"--ssh-config", cfg, "--state-dir", state)
	if r.code != 1 {
		t.Fatalf("fleet deploy with h3 unknown: %s", r)
	}
	if !strings.Contains(r.stderr, "h3") || !strings.Contains(r.stderr, "SHA256:") || !strings.Contains(r.stderr, "refused at connect") {
		t.Errorf("the refusal does not name h3 with its fingerprint:\n%s", r.stderr)
	}
	t.Logf("refusal:\n%s", r.stderr)
	for _, h := range s.f.Hosts() {
		if got := s.footprint(h); got != before[h.Name()] {
			t.Errorf("%s was touched:\nbefore:\n%s\nafter:\n%s", h.Name(), before[h.Name()], got)
		}
		if got := s.releases(h); got != s.want("v1") {
			t.Errorf("%s: instances %s, want %s", h.Name(), got, s.want("v1"))
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(state, "fleet")); len(ents) != 0 {
		t.Errorf("a journal was written for a refused rollout: %v", ents)
	}
}

// TestDryRun prints the plan and the bytes each host would get, and
// changes nothing anywhere.
func TestDryRun(t *testing.T) {
	s := newService(t, "fc-dry", 25121)
	before := map[string]string{}
	for _, h := range s.f.Hosts() {
		before[h.Name()] = s.footprint(h)
	}
	state := t.TempDir()
	r := s.controller("fleet", "deploy", s.file(), "--artifact", s.release("v2", ""), "--version", "v2",
		"--ssh-config", s.f.SSHConfigPath(), "--state-dir", state, "--dry-run")
	if r.code != 0 {
		t.Fatalf("fleet deploy --dry-run: %s", r)
	}
	for _, want := range []string{"3 host batches over 3 hosts", "batch 2 (1 host): h2", "would be sent", "would roll"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, r.stdout)
		}
	}
	t.Logf("dry run:\n%s", r.stdout)
	for _, h := range s.f.Hosts() {
		if got := s.footprint(h); got != before[h.Name()] {
			t.Errorf("%s was touched:\nbefore:\n%s\nafter:\n%s", h.Name(), before[h.Name()], got)
		}
		if got := s.releases(h); got != s.want("v1") {
			t.Errorf("%s: instances %s, want %s", h.Name(), got, s.want("v1"))
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(state, "fleet")); len(ents) != 0 {
		t.Errorf("a dry run wrote a journal: %v", ents)
	}
}
