package push

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A Root others can write, or a .bin that is a symlink, is refused: the
// binary root runs could be swapped there.
func TestUnsafeDirsRefused(t *testing.T) {
	a, _, _ := fakeBuild(t, t.TempDir(), "a")
	t.Run("root writable by others", func(t *testing.T) {
		h := newLocalHost(t, Options{})
		if err := os.Chmod(h.root, 0o777); err != nil {
			t.Fatal(err)
		}
		_, sent, err := EnsureBinary(context.Background(), h.Conn, a)
		if err == nil || !strings.Contains(err.Error(), "chmod go-w "+h.root) || sent != 0 {
			t.Errorf("push under a 0777 root: %d bytes, %v; want a refusal naming the fix", sent, err)
		}
	})
	t.Run(".bin a symlink", func(t *testing.T) {
		h := newLocalHost(t, Options{})
		elsewhere := t.TempDir()
		if err := os.Symlink(elsewhere, filepath.Join(h.root, ".bin")); err != nil {
			t.Fatal(err)
		}
		_, _, err := EnsureBinary(context.Background(), h.Conn, a)
		if err == nil || !strings.Contains(err.Error(), "not a directory") {
			t.Errorf("push into a symlinked .bin: %v; want a refusal", err)
		}
		if got := ls(t, elsewhere); len(got) != 0 {
			t.Errorf("the symlink's target got %q", got)
		}
	})
}

// A prepared directory is archived once for any number of hosts, and its
// archive is gone after Close; a failed archive leaves no temp either.
func TestPrepareArtifact(t *testing.T) {
	tree := t.TempDir()
	makeTree(t, tree, time.Now(), 0o644)
	a, err := PrepareArtifact(tree)
	if err != nil {
		t.Fatal(err)
	}
	if a.Ext != "tar.gz" || a.Name() != a.SHA256+".tar.gz" {
		t.Errorf("prepared tree: ext %q, name %q", a.Ext, a.Name())
	}
	var sent []int64
	for range 2 {
		h := newLocalHost(t, Options{})
		_, n, err := a.Ensure(context.Background(), h.Conn)
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, n)
	}
	if sent[0] != a.Size || sent[1] != a.Size {
		t.Errorf("two fresh hosts got %v bytes; want %d each", sent, a.Size)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(a.Path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the archive %s outlived Close: %v", a.Path, err)
	}

	before, _ := filepath.Glob(filepath.Join(os.TempDir(), "sysroll-push-*.tar.gz"))
	syscall.Mkfifo(filepath.Join(tree, "pipe"), 0o644)
	if _, err := PrepareArtifact(tree); err == nil {
		t.Fatal("a tree with a fifo was prepared")
	}
	after, _ := filepath.Glob(filepath.Join(os.TempDir(), "sysroll-push-*.tar.gz"))
	if len(after) > len(before) {
		t.Errorf("a failed archive left %q", after)
	}
}

// A dead copy's temp of the same file is resumed: its bytes before the
// last resumeWindow are kept when their hash on the host is right, so
// only the rest is sent; a hole in that window (a pipelined write that
// never landed) does not matter, and a temp with wrong bytes is not
// trusted.
func TestResume(t *testing.T) {
	src := t.TempDir()
	base, _, _ := fakeBuild(t, src, "a")
	content, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	pad := make([]byte, 16<<20)
	for i := range pad {
		pad[i] = byte(i*7 + i>>12)
	}
	content = append(content, pad...)
	bin := filepath.Join(src, "big")
	if err := os.WriteFile(bin, content, 0o755); err != nil {
		t.Fatal(err)
	}
	sha, size, _ := hashFile(bin)
	cut := int64(len(content)) - 4<<20 // the dead copy got this far

	for _, tc := range []struct {
		name     string
		partial  func() []byte
		wantSent int64
	}{
		{"good prefix", func() []byte { return append([]byte(nil), content[:cut]...) }, size - (cut - resumeWindow)},
		{"hole in the window", func() []byte {
			p := append([]byte(nil), content[:cut]...)
			clear(p[cut-resumeWindow/2 : cut-resumeWindow/4])
			return p
		}, size - (cut - resumeWindow)},
		{"wrong bytes", func() []byte {
			p := append([]byte(nil), content[:cut]...)
			p[100] ^= 0xff
			return p
		}, size},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newLocalHost(t, Options{StaleAfter: time.Minute})
			dir := filepath.Join(h.root, ".bin")
			os.MkdirAll(dir, 0o755)
			dead := filepath.Join(dir, tempName(binaryName(sha)))
			if err := os.WriteFile(dead, tc.partial(), 0o600); err != nil {
				t.Fatal(err)
			}
			old := time.Now().Add(-5 * time.Minute)
			os.Chtimes(dead, old, old)
			remote, sent, err := EnsureBinary(context.Background(), h.Conn, bin)
			if err != nil {
				t.Fatal(err)
			}
			if sent != tc.wantSent {
				t.Errorf("sent %d bytes of %d; want %d", sent, size, tc.wantSent)
			}
			if got, _, _ := hashFile(remote); got != sha {
				t.Errorf("the resumed copy has sha256 %s, want %s", got, sha)
			}
			if got := ls(t, dir); len(got) != 1 || got[0] != binaryName(sha) {
				t.Errorf(".bin holds %q, want only %s", got, binaryName(sha))
			}
		})
	}
}
