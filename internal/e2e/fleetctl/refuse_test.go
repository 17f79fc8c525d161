//go:build integration

package fleetctl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
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
	if r.Code != 1 {
		t.Fatalf("fleet deploy with h3 unknown: %s", r)
	}
	if !strings.Contains(r.Stderr, "h3") || !strings.Contains(r.Stderr, "SHA256:") || !strings.Contains(r.Stderr, "refused at connect") {
		t.Errorf("the refusal does not name h3 with its fingerprint:\n%s", r.Stderr)
	}
	t.Logf("refusal:\n%s", r.Stderr)
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
	if r.Code != 0 {
		t.Fatalf("fleet deploy --dry-run: %s", r)
	}
	for _, want := range []string{"3 host batches over 3 hosts", "batch 2 (1 host): h2", "would be sent", "would roll"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, r.Stdout)
		}
	}
	t.Logf("dry run:\n%s", r.Stdout)
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

// TestAcceptNewHostKeys: the same unknown h3, with --accept-new-host-keys
// (and --dry-run, so only the key is written): h3's key is added to the
// known_hosts file, and the run goes on.
func TestAcceptNewHostKeys(t *testing.T) {
	s := newService(t, "fc-accept", 25161)
	kh := filepath.Join(s.local, "known_hosts")
	cfg := filepath.Join(s.local, "ssh_config")
	if err := s.f.WriteKnownHosts(kh, "h1", "h2"); err != nil {
		t.Fatal(err)
	}
	if err := s.f.WriteSSHConfig(cfg, kh); err != nil {
		t.Fatal(err)
	}
	r := s.controller("fleet", "deploy", s.file(), "--artifact", s.release("v2", ""), "--version", "v2",
		"--ssh-config", cfg, "--dry-run", "--accept-new-host-keys")
	if r.Code != 0 {
		t.Fatalf("fleet deploy --accept-new-host-keys --dry-run: %s", r)
	}
	data, err := os.ReadFile(kh)
	if err != nil {
		t.Fatal(err)
	}
	h3 := s.f.Host("h3")
	if !strings.Contains(string(data), h3.Addr().String()) {
		t.Errorf("h3's key was not recorded:\n%s", data)
	}
	if got := s.releases(h3); got != s.want("v1") {
		t.Errorf("h3: instances %s, want %s", got, s.want("v1"))
	}
}

// TestChangedHostKey: known_hosts records another key for h3 (h1's): the
// rollout is refused before anything is done, even with
// --accept-new-host-keys, naming h3 and both fingerprints.
func TestChangedHostKey(t *testing.T) {
	s := newService(t, "fc-changed", 25171)
	h1, h3 := s.f.Host("h1"), s.f.Host("h3")
	var b strings.Builder
	for _, h := range []*e2etest.Host{h1, s.f.Host("h2")} {
		for _, l := range h.KnownHosts() {
			b.WriteString(l + "\n")
		}
	}
	for _, l := range h1.KnownHosts() { // h1's key under h3's address
		b.WriteString(strings.Replace(l, h1.Addr().String(), h3.Addr().String(), 1) + "\n")
	}
	kh := filepath.Join(s.local, "known_hosts")
	if err := os.WriteFile(kh, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(s.local, "ssh_config")
	if err := s.f.WriteSSHConfig(cfg, kh); err != nil {
		t.Fatal(err)
	}
	before := map[string]string{}
	for _, h := range s.f.Hosts() {
		before[h.Name()] = s.footprint(h)
	}
	r := s.controller("fleet", "deploy", s.file(), "--artifact", s.release("v2", ""), "--version", "v2",
		"--ssh-config", cfg, "--state-dir", t.TempDir(), "--accept-new-host-keys")
	if r.Code != 1 || !strings.Contains(r.Stderr, "h3") || !strings.Contains(r.Stderr, "HOST KEY CHANGED") || strings.Count(r.Stderr, "SHA256:") < 2 {
		t.Fatalf("fleet deploy with h3's key changed: %s", r)
	}
	t.Logf("refusal:\n%s", r.Stderr)
	for _, h := range s.f.Hosts() {
		if got := s.footprint(h); got != before[h.Name()] {
			t.Errorf("%s was touched:\nbefore:\n%s\nafter:\n%s", h.Name(), before[h.Name()], got)
		}
	}
	if data, _ := os.ReadFile(kh); string(data) != b.String() {
		t.Errorf("known_hosts was changed:\n%s", data)
	}
}

// TestNotApplied: a service that was never applied on the hosts is
// refused before any instance anywhere is touched, saying to apply it.
func TestNotApplied(t *testing.T) {
	f := e2etest.SharedFleet(t)
	s := &service{t: t, f: f, name: "fc-none", ports: []int{25181}, local: t.TempDir()}
	var hosts strings.Builder
	for _, h := range f.Hosts() {
		hosts.WriteString("  - {name: " + h.Name() + ", address: " + h.Addr().String() + "}\n")
	}
	yaml := e2etest.HelloYAML(s.name, s.ports, time.Second, "") + "hosts:\n" + hosts.String()
	if err := os.WriteFile(s.file(), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	r := s.controller("fleet", "deploy", s.file(), "--artifact", s.release("v2", ""), "--version", "v2",
		"--ssh-config", f.SSHConfigPath(), "--state-dir", t.TempDir())
	if r.Code != 1 || !strings.Contains(r.Stderr, "refused at copy and stage") || !strings.Contains(r.Stderr, "sysroll apply FILE") || strings.Count(r.Stderr, "fc-none") < 3 {
		t.Fatalf("fleet deploy of a service not applied: %s", r)
	}
	t.Logf("refusal:\n%s", r.Stderr)
}
