package sshx

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
	"golang.org/x/sys/unix"
)

// UnknownHostKeyError: the host offered a key that no known_hosts file
// records for it. Nothing was sent to the host past the key exchange.
type UnknownHostKeyError struct {
	Host        string   // the inventory name
	Name        string   // the known_hosts lookup name ([host]:port or alias)
	KeyType     string   // e.g. ssh-ed25519
	Fingerprint string   // SHA256:...
	Files       []string // the known_hosts files consulted
}

func (e *UnknownHostKeyError) Error() string {
	files := "no known_hosts file"
	if len(e.Files) > 0 {
		files = strings.Join(e.Files, ", ")
	}
	host, port := splitName(e.Name)
	return fmt.Sprintf("host %s: unknown host key %s %s for %s (not in %s); check it out of band "+
		"(on the host: ssh-keygen -lf /etc/ssh/ssh_host_%s_key.pub), then add it with "+
		"`ssh-keyscan -p %s -t %s %s >> ~/.ssh/known_hosts` or connect once with accept-new",
		e.Host, e.KeyType, e.Fingerprint, e.Name, files, shortType(e.KeyType), port, shortType(e.KeyType), host)
}

// KnownKey is one known_hosts entry that matched the host.
type KnownKey struct {
	KeyType     string
	Fingerprint string
	File        string
	Line        int
}

// ChangedHostKeyError: known_hosts records other keys for the host than the
// one it offered, which is either a rebuilt host or a man in the middle.
// Never accepted automatically.
type ChangedHostKeyError struct {
	Host        string
	Name        string
	KeyType     string
	Fingerprint string
	Known       []KnownKey
}

func (e *ChangedHostKeyError) Error() string {
	var known []string
	for _, k := range e.Known {
		known = append(known, fmt.Sprintf("%s %s (%s:%d)", k.KeyType, k.Fingerprint, k.File, k.Line))
	}
	return fmt.Sprintf("host %s: HOST KEY CHANGED for %s: offered %s %s, known_hosts has %s; "+
		"possible man-in-the-middle; if the host was rebuilt, verify the new key out of band "+
		"(ssh-keygen -lf on the host) and replace the entry (ssh-keygen -R %s)",
		e.Host, e.Name, e.KeyType, e.Fingerprint, strings.Join(known, ", "), e.Name)
}

// RevokedHostKeyError: the offered key is listed as @revoked.
type RevokedHostKeyError struct {
	Host        string
	KeyType     string
	Fingerprint string
	File        string
	Line        int
}

func (e *RevokedHostKeyError) Error() string {
	return fmt.Sprintf("host %s: host key %s %s is revoked (%s:%d); refusing to connect",
		e.Host, e.KeyType, e.Fingerprint, e.File, e.Line)
}

// hostKeyCheck is the verification set up for one Target: the callback and
// the host key algorithms to offer, so the server presents a key type that
// known_hosts actually records (golang/go#29286).
type hostKeyCheck struct {
	callback   ssh.HostKeyCallback
	algorithms []string
}

// newHostKeyCheck reads the target's known_hosts files. Missing files are
// skipped (a fresh machine has none); unreadable or unparsable ones are
// errors, since skipping them could turn a changed key into an unknown one.
func newHostKeyCheck(t Target, acceptNew bool) (*hostKeyCheck, error) {
	var files []string
	for _, f := range append(append([]string(nil), t.UserKnownHostsFiles...), t.GlobalKnownHostsFiles...) {
		f = expandHome(f)
		if _, err := os.Stat(f); errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("host %s: known_hosts %s: %w", t.Name, f, err)
		}
		files = append(files, f)
	}
	db, err := knownhosts.NewDB(files...)
	if err != nil {
		return nil, fmt.Errorf("host %s: read known_hosts (%s): %w; fix or remove the bad lines", t.Name, strings.Join(files, ", "), err)
	}
	name := t.KnownHostsName()
	writeTo := ""
	if acceptNew && len(t.UserKnownHostsFiles) > 0 {
		writeTo = expandHome(t.UserKnownHostsFiles[0])
	}
	inner := db.HostKeyCallback()
	cb := func(_ string, remote net.Addr, key ssh.PublicKey) error {
		err := inner(name, remote, key)
		if err == nil {
			return nil
		}
		err = classify(t.Name, name, key, files, err)
		var unknown *UnknownHostKeyError
		if writeTo != "" && errors.As(err, &unknown) {
			return acceptKey(t.Name, writeTo, name, remote, key)
		}
		return err
	}
	return &hostKeyCheck{callback: cb, algorithms: db.HostKeyAlgorithms(name)}, nil
}

// classify maps x/crypto's knownhosts errors to the typed ones.
func classify(host, name string, key ssh.PublicKey, files []string, err error) error {
	typ, fp := key.Type(), ssh.FingerprintSHA256(key)
	var revoked *xknownhosts.RevokedError
	if errors.As(err, &revoked) {
		return &RevokedHostKeyError{Host: host, KeyType: typ, Fingerprint: fp,
			File: revoked.Revoked.Filename, Line: revoked.Revoked.Line}
	}
	var ke *xknownhosts.KeyError
	if cert, ok := key.(*ssh.Certificate); ok && !errors.As(err, &ke) {
		return fmt.Errorf("host %s: host certificate (key %s, signed by CA %s) is not accepted for %s: %w; "+
			"check the @cert-authority lines in %s and the certificate's principals and validity (ssh-keygen -Lf on the host)",
			host, ssh.FingerprintSHA256(cert.Key), ssh.FingerprintSHA256(cert.SignatureKey), name, err, strings.Join(files, ", "))
	}
	if !errors.As(err, &ke) {
		return fmt.Errorf("host %s: verify host key %s %s for %s: %w", host, typ, fp, name, err)
	}
	if len(ke.Want) == 0 {
		return &UnknownHostKeyError{Host: host, Name: name, KeyType: typ, Fingerprint: fp, Files: files}
	}
	ch := &ChangedHostKeyError{Host: host, Name: name, KeyType: typ, Fingerprint: fp}
	for _, w := range ke.Want {
		ch.Known = append(ch.Known, KnownKey{KeyType: w.Key.Type(), Fingerprint: ssh.FingerprintSHA256(w.Key),
			File: w.Filename, Line: w.Line})
	}
	return ch
}

// acceptKey appends a normalized entry for an unknown host under an
// exclusive flock, after re-reading the file under that lock: another
// process may have added the host meanwhile, and then its entry decides
// (a different key is a change, refused).
func acceptKey(host, file, name string, remote net.Addr, key ssh.PublicKey) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("host %s: accept-new: %w", host, err)
	}
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("host %s: accept-new: %w", host, err)
	}
	defer f.Close()
	if err := flockRetry(f); err != nil {
		return fmt.Errorf("host %s: accept-new: lock %s: %w", host, file, err)
	}
	again, err := xknownhosts.New(file)
	if err != nil {
		return fmt.Errorf("host %s: accept-new: reread %s: %w", host, file, err)
	}
	if err := again(name, remote, key); err == nil {
		return nil
	} else if err = classify(host, name, key, []string{file}, err); !isUnknown(err) {
		return err
	}
	// Keep the file line-terminated even if a hand edit left it without a
	// final newline.
	prefix := ""
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			prefix = "\n"
		}
	}
	line := prefix + knownhosts.Line([]string{name}, key) + "\n"
	if _, err := f.WriteString(line); err != nil {
		return fmt.Errorf("host %s: accept-new: write %s: %w", host, file, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("host %s: accept-new: sync %s: %w", host, file, err)
	}
	return nil
}

func isUnknown(err error) bool {
	var u *UnknownHostKeyError
	return errors.As(err, &u)
}

func flockRetry(f *os.File) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// shortType is the ssh-keyscan -t / host key file name of a key type.
func shortType(t string) string {
	switch {
	case strings.Contains(t, "ed25519"):
		return "ed25519"
	case strings.HasPrefix(t, "ecdsa"), strings.HasPrefix(t, "sk-ecdsa"):
		return "ecdsa"
	case strings.Contains(t, "rsa"):
		return "rsa"
	}
	return t
}

// splitName splits a known_hosts lookup name back into host and port.
func splitName(name string) (string, string) {
	h, p, err := net.SplitHostPort(name)
	if err != nil {
		return name, "22"
	}
	return h, p
}

// expandHome expands a leading "~/", as ssh -G leaves IdentityFile values.
func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, strings.TrimPrefix(p, "~"))
		}
	}
	return p
}
