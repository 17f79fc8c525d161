package release

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestPlantedLinks: a link (or other thing) planted where the store keeps
// a file sysroll owns is never followed nor written through: it is moved
// aside, the operation goes on, and the file it pointed at is untouched.
func TestPlantedLinks(t *testing.T) {
	for _, tc := range []struct {
		name  string
		plant func(t *testing.T, s *Store, victim string)
		act   func(t *testing.T, s *Store)
		moved string // the path quarantined, relative to the store
	}{
		{"lock links to a victim", func(t *testing.T, s *Store, victim string) {
			must(t, os.Symlink(victim, filepath.Join(s.Dir(), lockFile)))
		}, func(t *testing.T, s *Store) {
			l, err := s.Lock(LockInfo{Command: "test"})
			must(t, err)
			must(t, l.Unlock())
		}, lockFile},
		{"lock is a fifo", func(t *testing.T, s *Store, _ string) {
			must(t, syscall.Mkfifo(filepath.Join(s.Dir(), lockFile), 0o600))
		}, func(t *testing.T, s *Store) {
			l, err := s.Lock(LockInfo{Command: "test"})
			must(t, err)
			must(t, l.Unlock())
		}, lockFile},
		// open(O_RDWR) of a directory fails with EISDIR before any stat:
		// it blocked every verb that locks, uninstall --purge too.
		{"lock is a directory", func(t *testing.T, s *Store, _ string) {
			must(t, os.MkdirAll(filepath.Join(s.Dir(), lockFile, "x"), 0o755))
		}, func(t *testing.T, s *Store) {
			l, err := s.Lock(LockInfo{Command: "test"})
			must(t, err)
			must(t, l.Unlock())
		}, lockFile},
		{"stage lock is a directory", func(t *testing.T, s *Store, _ string) {
			must(t, os.Remove(filepath.Join(s.Dir(), releasesDir, stageLockFile)))
			must(t, os.Mkdir(filepath.Join(s.Dir(), releasesDir, stageLockFile), 0o755))
		}, func(t *testing.T, s *Store) {
			stageVersion(t, s, "v2")
		}, filepath.Join(releasesDir, stageLockFile)},
		{"stage lock links to a victim", func(t *testing.T, s *Store, victim string) {
			must(t, os.Remove(filepath.Join(s.Dir(), releasesDir, stageLockFile)))
			must(t, os.Symlink(victim, filepath.Join(s.Dir(), releasesDir, stageLockFile)))
		}, func(t *testing.T, s *Store) {
			stageVersion(t, s, "v2")
		}, filepath.Join(releasesDir, stageLockFile)},
		{"instance dir links outside", func(t *testing.T, s *Store, victim string) {
			must(t, os.Symlink(filepath.Dir(victim), filepath.Join(s.Dir(), instancesDir, "8081")))
		}, func(t *testing.T, s *Store) {
			must(t, s.Switch("8081", "v1"))
		}, filepath.Join(instancesDir, "8081")},
		{"current is a directory", func(t *testing.T, s *Store, _ string) {
			must(t, os.MkdirAll(s.CurrentPath("8081"), 0o755))
		}, func(t *testing.T, s *Store) {
			must(t, s.Switch("8081", "v1"))
		}, filepath.Join(instancesDir, "8081", currentLink)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			stageVersion(t, s, "v1")
			outside := t.TempDir()
			victim := filepath.Join(outside, "victim")
			must(t, os.WriteFile(victim, []byte("precious\n"), 0o600))
			tc.plant(t, s, victim)
			done := make(chan struct{})
			go func() { defer close(done); tc.act(t, s) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("blocked")
			}
			if t.Failed() {
				return
			}
			if b, err := os.ReadFile(victim); err != nil || string(b) != "precious\n" {
				t.Errorf("victim = %q, %v: written through the planted link", b, err)
			}
			if entries, _ := os.ReadDir(outside); len(entries) != 1 {
				t.Errorf("outside dir holds %d entries, want only the victim", len(entries))
			}
			q, err := s.Quarantined()
			if err != nil || len(q) != 1 || q[0].Original != filepath.Join(s.Dir(), tc.moved) {
				t.Fatalf("Quarantined = %+v, %v; want %s", q, err, tc.moved)
			}
			if strings.HasPrefix(tc.name, "instance") || strings.HasPrefix(tc.name, "current") {
				if v, err := s.Current("8081"); err != nil || v != "v1" {
					t.Errorf("Current = %q, %v after the switch", v, err)
				}
				if fi, err := os.Lstat(filepath.Join(s.Dir(), instancesDir, "8081")); err != nil || !fi.IsDir() {
					t.Errorf("instances/8081 is not a real directory: %v", err)
				}
			}
		})
	}
}

// TestLockCleansStagingLeftovers: what a kill -9 during staging left is
// gone at the next run's lock, not 24 h later; a Stage in progress (its
// staging directory flock'd) is left alone.
func TestLockCleansStagingLeftovers(t *testing.T) {
	s := newStore(t)
	rel := func(parts ...string) string { return filepath.Join(append([]string{s.Dir()}, parts...)...) }
	must(t, os.MkdirAll(rel(releasesDir, ".tmp-123/bin"), 0o700))
	must(t, os.WriteFile(rel(releasesDir, ".tmp-123/bin/hello"), []byte("half"), 0o600))
	must(t, os.MkdirAll(rel(releasesDir, ".tmp-456"), 0o700))
	held, err := os.Open(rel(releasesDir, ".tmp-456"))
	must(t, err)
	defer held.Close()
	must(t, flock(held, unix.LOCK_EX|unix.LOCK_NB))
	must(t, os.WriteFile(rel(rolloutsDir, ".r1.json.tmp-99"), []byte("{"), 0o600))

	l, err := s.Lock(LockInfo{Command: "test"})
	must(t, err)
	defer l.Unlock()
	for path, want := range map[string]bool{
		rel(releasesDir, ".tmp-123"): false, rel(releasesDir, ".tmp-456"): true, rel(rolloutsDir, ".r1.json.tmp-99"): false,
	} {
		if _, err := os.Lstat(path); (err == nil) != want {
			t.Errorf("%s: present=%v, want %v", path, err == nil, want)
		}
	}
}

// TestOpenQuarantinesAFileForADir: a file or FIFO where the store keeps
// releases/, instances/ or rollouts/ is moved aside and the directory made
// again, so Open (every verb, status and uninstall) goes on; it used to
// fail with "exists and is not a directory". A link there is still
// refused, naming the fix.
func TestOpenQuarantinesAFileForADir(t *testing.T) {
	for _, sub := range []string{releasesDir, instancesDir, rolloutsDir} {
		for _, kind := range []string{"file", "fifo", "link"} {
			t.Run(sub+" as "+kind, func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "hello")
				must(t, os.Mkdir(dir, 0o755))
				p := filepath.Join(dir, sub)
				switch kind {
				case "file":
					must(t, os.WriteFile(p, []byte("x"), 0o644))
				case "fifo":
					must(t, syscall.Mkfifo(p, 0o600))
				case "link":
					must(t, os.Symlink(t.TempDir(), p))
				}
				s, err := Open(dir)
				if kind == "link" {
					if _, ok := errors.AsType[*UntrustedError](err); !ok || !strings.Contains(err.Error(), "Fix: rm "+p) {
						t.Errorf("Open with %s a link: %v, want the refusal naming the fix", sub, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("Open with %s a %s: %v", sub, kind, err)
				}
				if fi, err := os.Lstat(p); err != nil || !fi.IsDir() {
					t.Errorf("%s is not a directory again: %v", p, err)
				}
				q, err := s.Quarantined()
				if err != nil || len(q) != 1 || q[0].Original != p || q[0].What != sub+" directory" || !strings.Contains(q[0].Reason, "is not a directory") {
					t.Errorf("Quarantined = %+v, %v", q, err)
				}
			})
		}
	}
}
