package sshx

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// PassphraseFunc returns the passphrase of an encrypted identity file. It is
// the hook for a prompt; this package never prompts by itself.
type PassphraseFunc func(file string) ([]byte, error)

// EncryptedKeyError: an identity file is encrypted, no agent holds it and no
// PassphraseFunc was given, so it cannot be used.
type EncryptedKeyError struct {
	Host string
	File string
}

func (e *EncryptedKeyError) Error() string {
	return fmt.Sprintf("host %s: identity file %s is encrypted and not in the ssh-agent; "+
		"run `ssh-add %s` (with SSH_AUTH_SOCK set) first", e.Host, e.File, e.File)
}

// signers collects the keys offered to t: the agent's first (OpenSSH's
// order), then the identity files. With IdentitiesOnly the agent's keys are
// limited to those matching an identity file. Agent forwarding is never
// requested: a compromised host must not reach the operator's agent.
func signers(t Target, ag agent.Agent, pass PassphraseFunc) ([]ssh.Signer, error) {
	var out []ssh.Signer
	var skipped []error
	files := identityKeys(t.IdentityFiles)

	var agentKeys [][]byte
	if ag != nil {
		list, err := ag.Signers()
		if err != nil {
			return nil, fmt.Errorf("host %s: ssh-agent: %w (check SSH_AUTH_SOCK)", t.Name, err)
		}
		for _, s := range list {
			blob := s.PublicKey().Marshal()
			if t.IdentitiesOnly && !files.hasPublic(blob) {
				continue
			}
			agentKeys = append(agentKeys, blob)
			out = append(out, s)
		}
	}
	inAgent := func(blob []byte) bool {
		for _, k := range agentKeys {
			if bytes.Equal(k, blob) {
				return true
			}
		}
		return false
	}
	for _, f := range files {
		if f.err != nil {
			if !errors.Is(f.err, fs.ErrNotExist) {
				skipped = append(skipped, fmt.Errorf("identity file %s: %w", f.path, f.err))
			}
			continue
		}
		s, err := ssh.ParsePrivateKey(f.pem)
		var missing *ssh.PassphraseMissingError
		if errors.As(err, &missing) {
			if missing.PublicKey != nil && inAgent(missing.PublicKey.Marshal()) {
				continue // the agent already signs with it
			}
			if pass == nil {
				skipped = append(skipped, &EncryptedKeyError{Host: t.Name, File: f.path})
				continue
			}
			p, perr := pass(f.path)
			if perr != nil {
				return nil, fmt.Errorf("host %s: passphrase for %s: %w", t.Name, f.path, perr)
			}
			s, err = ssh.ParsePrivateKeyWithPassphrase(f.pem, p)
		}
		if err != nil {
			skipped = append(skipped, fmt.Errorf("identity file %s: %w", f.path, err))
			continue
		}
		if !inAgent(s.PublicKey().Marshal()) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		if len(skipped) > 0 {
			return nil, fmt.Errorf("host %s: no usable SSH key: %w", t.Name, errors.Join(skipped...))
		}
		return nil, fmt.Errorf("host %s: no SSH key: no ssh-agent (SSH_AUTH_SOCK) key and none of the identity files exist (%s)",
			t.Name, strings.Join(t.IdentityFiles, ", "))
	}
	return out, nil
}

type identityFile struct {
	path string
	pem  []byte
	pub  []byte // wire form of the public key, when known without decrypting
	err  error
}

type identityList []identityFile

func identityKeys(paths []string) identityList {
	var out identityList
	for _, p := range paths {
		p = expandHome(p)
		f := identityFile{path: p}
		f.pem, f.err = os.ReadFile(p)
		if f.err == nil {
			f.pub = publicOf(p, f.pem)
		}
		out = append(out, f)
	}
	return out
}

// publicOf finds an identity's public key without its passphrase: from the
// private key when it is unencrypted (or the format exposes it), else from
// FILE.pub, as OpenSSH does for IdentitiesOnly.
func publicOf(path string, pem []byte) []byte {
	s, err := ssh.ParsePrivateKey(pem)
	if err == nil {
		return s.PublicKey().Marshal()
	}
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) && missing.PublicKey != nil {
		return missing.PublicKey.Marshal()
	}
	if b, err := os.ReadFile(path + ".pub"); err == nil {
		if k, _, _, _, err := ssh.ParseAuthorizedKey(b); err == nil {
			return k.Marshal()
		}
	}
	return nil
}

func (l identityList) hasPublic(blob []byte) bool {
	for _, f := range l {
		if f.pub != nil && bytes.Equal(f.pub, blob) {
			return true
		}
	}
	return false
}
