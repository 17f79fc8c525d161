package sshx

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// keyFile writes an OpenSSH private key (encrypted when pass != "") and its
// .pub, and returns the path and the public key.
func keyFile(t *testing.T, dir, name, pass string) (string, ssh.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var blk *pem.Block
	if pass == "" {
		blk, err = ssh.MarshalPrivateKey(priv, "")
	} else {
		blk, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte(pass))
	}
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(blk), 0o600); err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p+".pub", ssh.MarshalAuthorizedKey(sp), 0o644); err != nil {
		t.Fatal(err)
	}
	return p, sp, priv
}

func TestIdentityFiles(t *testing.T) {
	dir := t.TempDir()
	plain, plainPub, _ := keyFile(t, dir, "id_plain", "")
	enc, encPub, encPriv := keyFile(t, dir, "id_enc", "s3cret")
	agentWithEnc := agent.NewKeyring()
	if err := agentWithEnc.Add(agent.AddedKey{PrivateKey: encPriv}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		accept  ssh.PublicKey
		files   []string
		agent   agent.Agent
		pass    PassphraseFunc
		wantErr string // "" = connects
	}{
		{"plain file, no agent", plainPub, []string{filepath.Join(dir, "absent"), plain}, nil, nil, ""},
		{"encrypted, no agent, no prompt", encPub, []string{enc}, nil, nil, "ssh-add " + enc},
		{"encrypted, prompt hook", encPub, []string{enc}, nil, func(f string) ([]byte, error) {
			if f != enc {
				return nil, errors.New("asked for " + f)
			}
			return []byte("s3cret"), nil
		}, ""},
		{"encrypted, wrong passphrase", encPub, []string{enc}, nil, func(string) ([]byte, error) { return []byte("nope"), nil }, "id_enc"},
		{"encrypted but in the agent", encPub, []string{enc}, agentWithEnc, nil, ""},
		{"no key at all", plainPub, []string{filepath.Join(dir, "absent")}, nil, nil, "no SSH key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, tt.accept)
			kh := writeKnownHosts(t, khLine(ts.addr, ts.hostPub[0]))
			tg := ts.target("web1", kh)
			tg.IdentityFiles = tt.files
			p := NewPool(Options{Resolver: mapResolver{"web1": tg}, Agent: tt.agent, NoAgent: tt.agent == nil, Passphrase: tt.pass})
			defer p.Close()
			out, _, _, err := p.Run(context.Background(), "web1", []string{"echo", "ok"}, nil)
			if tt.wantErr == "" {
				if err != nil || string(out) != "ok\n" {
					t.Fatalf("out %q err %v", out, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "web1") {
				t.Fatalf("err = %v, want one naming web1 and %q", err, tt.wantErr)
			}
			if ts.conns.Load() != 0 {
				t.Error("dialled the host without a usable key")
			}
		})
	}
	var enErr *EncryptedKeyError
	_, err := signers(Target{Name: "web1", IdentityFiles: []string{enc}}, nil, nil)
	if !errors.As(err, &enErr) || enErr.File != enc {
		t.Errorf("err = %v, want *EncryptedKeyError for %s", err, enc)
	}
}

// IdentitiesOnly: the agent's other keys are not offered.
func TestIdentitiesOnlyFiltersAgent(t *testing.T) {
	dir := t.TempDir()
	file, filePub, filePriv := keyFile(t, dir, "id_fleet", "pw") // encrypted: only its .pub is readable
	_, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	kr := agent.NewKeyring()
	for _, k := range []ed25519.PrivateKey{otherPriv, filePriv} {
		if err := kr.Add(agent.AddedKey{PrivateKey: k}); err != nil {
			t.Fatal(err)
		}
	}
	for _, only := range []bool{true, false} {
		ts := newTestServer(t, filePub)
		kh := writeKnownHosts(t, khLine(ts.addr, ts.hostPub[0]))
		tg := ts.target("web1", kh)
		tg.IdentityFiles, tg.IdentitiesOnly = []string{file}, only
		p := NewPool(Options{Resolver: mapResolver{"web1": tg}, Agent: kr})
		mustRunOK(t, p, "web1")
		p.Close()
		ts.mu.Lock()
		offered := strings.Join(ts.offered, " ")
		ts.mu.Unlock()
		other, _ := ssh.NewSignerFromKey(otherPriv)
		sawOther := strings.Contains(offered, ssh.FingerprintSHA256(other.PublicKey()))
		if sawOther == only {
			t.Errorf("IdentitiesOnly=%v: other agent key offered=%v (offered %s)", only, sawOther, offered)
		}
	}
}
