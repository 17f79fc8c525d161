package sshx

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
)

// run runs `echo ok` on host and fails the test unless it printed ok.
func mustRunOK(t *testing.T, p *Pool, host string) {
	t.Helper()
	out, _, code, err := p.Run(context.Background(), host, []string{"echo", "ok"}, nil)
	if err != nil || code != 0 || string(out) != "ok\n" {
		t.Fatalf("Run on %s: out %q code %d err %v", host, out, code, err)
	}
}

func TestKnownHostAccepted(t *testing.T) {
	c := newTestClient(t)
	ts := newTestServer(t, c.signer.PublicKey())
	kh := writeKnownHosts(t, "# comment", khLine(ts.addr, ts.hostPub[0]))
	var warnings []string
	tg := ts.target("web1", kh)
	tg.Warnings = []string{"host web1: StrictHostKeyChecking no is ignored"}
	p := c.pool(t, mapResolver{"web1": tg}, func(o *Options) { o.Warn = func(w string) { warnings = append(warnings, w) } })
	mustRunOK(t, p, "web1")
	mustRunOK(t, p, "web1")
	if len(warnings) != 1 || warnings[0] != tg.Warnings[0] {
		t.Errorf("warnings %q, want the config warning once", warnings)
	}
	if n := ts.agentReqs.Load(); n != 0 {
		t.Errorf("%d sessions requested agent forwarding", n)
	}
}

func TestUnknownHostRefused(t *testing.T) {
	c := newTestClient(t)
	ts := newTestServer(t, c.signer.PublicKey())
	other := newTestServer(t, c.signer.PublicKey())
	// known_hosts knows another host only; and a target with no file at all.
	kh := writeKnownHosts(t, khLine(other.addr, other.hostPub[0]))
	missing := filepath.Join(t.TempDir(), "absent", "known_hosts")
	for name, file := range map[string]string{"other-entries": kh, "no-file": missing} {
		t.Run(name, func(t *testing.T) {
			p := c.pool(t, mapResolver{"web1": ts.target("web1", file)})
			_, _, _, err := p.Run(context.Background(), "web1", []string{"touch", "pwned"}, nil)
			var unknown *UnknownHostKeyError
			if !errors.As(err, &unknown) {
				t.Fatalf("err = %v, want *UnknownHostKeyError", err)
			}
			fp := ssh.FingerprintSHA256(ts.hostPub[0])
			if unknown.Host != "web1" || unknown.KeyType != ssh.KeyAlgoED25519 || unknown.Fingerprint != fp {
				t.Errorf("error fields = %+v, want web1 ssh-ed25519 %s", unknown, fp)
			}
			for _, want := range []string{"web1", fp, "ssh-keyscan -p " + itoa(ts.port) + " -t ed25519 127.0.0.1", "ssh-keygen -lf"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("message %q lacks %q", err, want)
				}
			}
		})
	}
	if n := ts.execs.Load(); n != 0 {
		t.Errorf("%d commands ran on an unverified host", n)
	}
	if _, err := os.Stat(filepath.Join(ts.dir, "pwned")); err == nil {
		t.Error("command ran on an unverified host")
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("known_hosts was created without AcceptNew")
	}
}

func TestChangedHostKeyRefusedEvenWithAcceptNew(t *testing.T) {
	c := newTestClient(t)
	ts := newTestServer(t, c.signer.PublicKey())
	old := newEd25519(t).PublicKey()
	kh := writeKnownHosts(t, khLine(ts.addr, old))
	before, _ := os.ReadFile(kh)
	p := c.pool(t, mapResolver{"web1": ts.target("web1", kh)}, func(o *Options) { o.AcceptNew = true })
	_, _, _, err := p.Run(context.Background(), "web1", []string{"true"}, nil)
	var changed *ChangedHostKeyError
	if !errors.As(err, &changed) {
		t.Fatalf("err = %v, want *ChangedHostKeyError", err)
	}
	newFP, oldFP := ssh.FingerprintSHA256(ts.hostPub[0]), ssh.FingerprintSHA256(old)
	if changed.Fingerprint != newFP || len(changed.Known) != 1 || changed.Known[0].Fingerprint != oldFP ||
		changed.Known[0].File != kh || changed.Known[0].Line != 1 {
		t.Errorf("error = %+v, want offered %s and known %s at %s:1", changed, newFP, oldFP, kh)
	}
	for _, want := range []string{newFP, oldFP, "web1", "CHANGED"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	if after, _ := os.ReadFile(kh); string(after) != string(before) {
		t.Errorf("known_hosts changed:\n%s", after)
	}
	if ts.execs.Load() != 0 {
		t.Error("command ran on a host with a changed key")
	}
}

func TestAcceptNewWritesEntry(t *testing.T) {
	c := newTestClient(t)
	ts := newTestServer(t, c.signer.PublicKey())
	kh := filepath.Join(t.TempDir(), "ssh", "known_hosts") // neither dir nor file exist yet
	r := mapResolver{"web1": ts.target("web1", kh)}
	// A global file the user cannot write to must not be the one written.
	global := writeKnownHosts(t, "# global")
	tg := r["web1"]
	tg.GlobalKnownHostsFiles = []string{global}
	r["web1"] = tg

	p := c.pool(t, r, func(o *Options) { o.AcceptNew = true })
	mustRunOK(t, p, "web1")

	got, err := os.ReadFile(kh)
	if err != nil {
		t.Fatal(err)
	}
	want := "[127.0.0.1]:" + itoa(ts.port) + " " + string(ssh.MarshalAuthorizedKey(ts.hostPub[0]))
	if string(got) != want {
		t.Errorf("known_hosts =\n%q\nwant\n%q", got, want)
	}
	if st, _ := os.Stat(kh); st.Mode().Perm() != 0o600 {
		t.Errorf("known_hosts mode %v, want 0600", st.Mode().Perm())
	}
	if g, _ := os.ReadFile(global); string(g) != "# global\n" {
		t.Errorf("global known_hosts written: %q", g)
	}
	// A second pool, strict this time, now knows the host.
	mustRunOK(t, c.pool(t, r), "web1")
	// And accept-new again appends nothing.
	mustRunOK(t, c.pool(t, r, func(o *Options) { o.AcceptNew = true }), "web1")
	if again, _ := os.ReadFile(kh); string(again) != want {
		t.Errorf("second accept-new changed known_hosts: %q", again)
	}
}

func TestAcceptNewKeepsFileLineTerminated(t *testing.T) {
	c := newTestClient(t)
	ts := newTestServer(t, c.signer.PublicKey())
	other := newEd25519(t).PublicKey()
	kh := filepath.Join(t.TempDir(), "known_hosts")
	first := khLine("other.example", other) // no final newline, as a hand edit may leave it
	if err := os.WriteFile(kh, []byte(first), 0o600); err != nil {
		t.Fatal(err)
	}
	p := c.pool(t, mapResolver{"web1": ts.target("web1", kh)}, func(o *Options) { o.AcceptNew = true })
	mustRunOK(t, p, "web1")
	got, _ := os.ReadFile(kh)
	want := first + "\n" + khLine(ts.addr, ts.hostPub[0]) + "\n"
	if string(got) != want {
		t.Errorf("known_hosts =\n%q\nwant\n%q", got, want)
	}
}

func TestHashedKnownHosts(t *testing.T) {
	c := newTestClient(t)
	ed, rs := newEd25519(t), newRSA(t)
	ts := newTestServer(t, c.signer.PublicKey(), withHostKeys(ed, rs))
	// ssh-keyscan -H: one line, with its own salt, per key type (kamal#1814).
	kh := writeKnownHosts(t, hashedLine(ts.addr, rs.PublicKey()), hashedLine(ts.addr, ed.PublicKey()))
	if b, _ := os.ReadFile(kh); strings.Contains(string(b), "127.0.0.1") {
		t.Fatalf("test file is not hashed:\n%s", b)
	}
	p := c.pool(t, mapResolver{"web1": ts.target("web1", kh)})
	mustRunOK(t, p, "web1")
}

// A host with ed25519 and RSA keys, of which known_hosts records one:
// HostKeyAlgorithms from known_hosts makes the server present that one
// (golang/go#29286). The control case shows plain x/crypto fails on one of
// the two, so the test would catch losing the per-host algorithms.
func TestHostWithTwoKeyTypesOneKnown(t *testing.T) {
	c := newTestClient(t)
	ed, rs := newEd25519(t), newRSA(t)
	ts := newTestServer(t, c.signer.PublicKey(), withHostKeys(ed, rs))
	plainFailed := 0
	for name, known := range map[string]ssh.PublicKey{"only-ed25519": ed.PublicKey(), "only-rsa": rs.PublicKey()} {
		kh := writeKnownHosts(t, khLine(ts.addr, known))
		t.Run(name, func(t *testing.T) {
			mustRunOK(t, c.pool(t, mapResolver{"web1": ts.target("web1", kh)}), "web1")
		})
		cb, err := xknownhosts.New(kh)
		if err != nil {
			t.Fatal(err)
		}
		cfg := &ssh.ClientConfig{User: "deploy", Auth: []ssh.AuthMethod{ssh.PublicKeys(c.signer)},
			HostKeyCallback: cb, Timeout: 5 * time.Second}
		if cl, err := ssh.Dial("tcp", ts.addr, cfg); err != nil {
			plainFailed++
		} else {
			cl.Close()
		}
	}
	if plainFailed == 0 {
		t.Error("control: plain x/crypto accepted both; the test no longer exercises golang/go#29286")
	}
}

func TestCertAuthorityAndRevoked(t *testing.T) {
	c := newTestClient(t)
	ca, otherCA := newEd25519(t), newEd25519(t)
	hostKey := newEd25519(t)
	cert := &ssh.Certificate{
		Key: hostKey.PublicKey(), CertType: ssh.HostCert, KeyId: "web1",
		ValidPrincipals: []string{"127.0.0.1"},
		ValidAfter:      uint64(time.Now().Add(-time.Hour).Unix()),
		ValidBefore:     uint64(time.Now().Add(time.Hour).Unix()),
	}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	certSigner, err := ssh.NewCertSigner(cert, hostKey)
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, c.signer.PublicKey(), withHostKeys(certSigner))
	caLine := func(k ssh.PublicKey) string {
		return "@cert-authority " + ts.knownName() + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
	}

	t.Run("trusted-ca", func(t *testing.T) {
		kh := writeKnownHosts(t, caLine(ca.PublicKey()))
		mustRunOK(t, c.pool(t, mapResolver{"web1": ts.target("web1", kh)}), "web1")
	})
	t.Run("other-ca", func(t *testing.T) {
		before := ts.execs.Load()
		kh := writeKnownHosts(t, caLine(otherCA.PublicKey()))
		_, _, _, err := c.pool(t, mapResolver{"web1": ts.target("web1", kh)}).Run(context.Background(), "web1", []string{"true"}, nil)
		if err == nil || !strings.Contains(err.Error(), "web1") || !strings.Contains(err.Error(), ssh.FingerprintSHA256(ca.PublicKey())) {
			t.Fatalf("err = %v, want a refusal naming web1 and the signing CA", err)
		}
		if n := ts.execs.Load(); n != before {
			t.Errorf("a command ran on a host certified by an unknown CA")
		}
	})
	t.Run("revoked", func(t *testing.T) {
		plain := newTestServer(t, c.signer.PublicKey())
		kh := writeKnownHosts(t, khLine(plain.addr, plain.hostPub[0]),
			"@revoked * "+strings.TrimSpace(string(ssh.MarshalAuthorizedKey(plain.hostPub[0]))))
		_, _, _, err := c.pool(t, mapResolver{"web2": plain.target("web2", kh)}).Run(context.Background(), "web2", []string{"true"}, nil)
		var revoked *RevokedHostKeyError
		if !errors.As(err, &revoked) || revoked.Host != "web2" || revoked.Line != 2 {
			t.Fatalf("err = %v (%+v), want *RevokedHostKeyError for web2 at line 2", err, revoked)
		}
		if plain.execs.Load() != 0 {
			t.Error("command ran on a revoked host")
		}
	})
}

func TestHostKeyAliasIsLookedUp(t *testing.T) {
	c := newTestClient(t)
	ts := newTestServer(t, c.signer.PublicKey())
	kh := writeKnownHosts(t, khLine("web1.alias", ts.hostPub[0]))
	tg := ts.target("web1", kh)
	tg.HostKeyAlias = "web1.alias"
	mustRunOK(t, c.pool(t, mapResolver{"web1": tg}), "web1")
}

func itoa(n int) string { return strconv.Itoa(n) }

// Several processes (here: pools) meeting the same new host at once write
// one entry, not one each: the flock and the re-read under it.
func TestAcceptNewConcurrent(t *testing.T) {
	c := newTestClient(t)
	ts := newTestServer(t, c.signer.PublicKey())
	kh := filepath.Join(t.TempDir(), "known_hosts")
	r := mapResolver{"web1": ts.target("web1", kh)}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { mustRunOK(t, c.pool(t, r, func(o *Options) { o.AcceptNew = true }), "web1") })
	}
	wg.Wait()
	got, _ := os.ReadFile(kh)
	if n := strings.Count(string(got), "\n"); n != 1 {
		t.Errorf("known_hosts has %d lines, want 1:\n%s", n, got)
	}
}
