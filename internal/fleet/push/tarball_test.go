package push

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// makeTree writes the same release tree under dir; mtime and the
// permission bits differ per call the way two builds' would.
func makeTree(t *testing.T, dir string, mtime time.Time, fileMode os.FileMode) {
	t.Helper()
	files := map[string]string{"bin/app": "#!/bin/sh\n", "etc/app.conf": "port=1\n", "README": "hi\n", "etc/z/deep": "z"}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := fileMode
		if strings.HasPrefix(name, "bin/") {
			mode |= 0o100
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // past the umask
			t.Fatal(err)
		}
	}
	if err := os.Symlink("etc/app.conf", filepath.Join(dir, "conf")); err != nil {
		t.Fatal(err)
	}
	filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error {
		os.Chtimes(p, mtime, mtime)
		return nil
	})
}

func treeSHA(t *testing.T, dir string) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	if err := writeTree(&b, dir); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(sum[:]), b.Bytes()
}

func TestWriteTreeDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	makeTree(t, a, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), 0o644)
	makeTree(t, b, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), 0o640) // another umask, another day
	shaA, archive := treeSHA(t, a)
	if shaB, _ := treeSHA(t, b); shaA != shaB {
		t.Errorf("the same tree gave two sha256s: %s and %s", shaA, shaB)
	}
	if again, _ := treeSHA(t, a); again != shaA {
		t.Errorf("the same directory archived twice gave %s then %s", shaA, again)
	}

	// What is in it: sorted, fixed owner and mtime, normalised modes.
	zr, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	if !zr.ModTime.IsZero() || zr.Name != "" {
		t.Errorf("gzip header carries mtime %s, name %q", zr.ModTime, zr.Name)
	}
	tr := tar.NewReader(zr)
	var got []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || !h.ModTime.Equal(tarEpoch) {
			t.Errorf("%s: uid %d gid %d %q/%q mtime %s; want root, no names, epoch", h.Name, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime)
		}
		got = append(got, h.Name+" "+os.FileMode(h.Mode).String()+" "+h.Linkname)
	}
	want := []string{
		"README -rw-r--r-- ",
		"bin/ -rwxr-xr-x ",
		"bin/app -rwxr-xr-x ",
		"conf -rwxrwxrwx etc/app.conf",
		"etc/ -rwxr-xr-x ",
		"etc/app.conf -rw-r--r-- ",
		"etc/z/ -rwxr-xr-x ",
		"etc/z/deep -rw-r--r-- ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A changed byte is another release.
	if err := os.WriteFile(filepath.Join(b, "README"), []byte("ho\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if shaB, _ := treeSHA(t, b); shaB == shaA {
		t.Error("a changed file kept the sha256")
	}
}

func TestWriteTreeRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := writeTree(io.Discard, dir)
	if err == nil || !strings.Contains(err.Error(), "pipe") || !strings.Contains(err.Error(), dir) {
		t.Errorf("a fifo in the tree: %v, want an error naming it", err)
	}
}
