package release

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// staged is one release of each kind, as TestVerify* stage them.
type staged struct {
	bin, dir, tgz string // the artifacts
}

// stageEach stages a binary as b1, a directory (a subdirectory, a link)
// as d1 and a tarball (a hard link too) as t1, and returns the artifacts.
func stageEach(t *testing.T, s *Store) staged {
	t.Helper()
	a := staged{
		bin: helloScript(t, t.TempDir(), "1"),
		dir: t.TempDir(),
		tgz: makeTarball(t,
			entry{name: "app", typ: tar.TypeReg, mode: 0o755, body: "#!/bin/sh\n"},
			entry{name: "etc/conf", typ: tar.TypeReg, body: "a=1\n"},
			entry{name: "etc/same", typ: tar.TypeLink, linkname: "etc/conf"}),
	}
	writeScript(t, filepath.Join(a.dir, "hello"), "echo d1")
	must(t, os.MkdirAll(filepath.Join(a.dir, "sub"), 0o755))
	must(t, os.WriteFile(filepath.Join(a.dir, "sub", "data"), []byte("data"), 0o644))
	must(t, os.Symlink("sub/data", filepath.Join(a.dir, "link")))
	for v, artifact := range map[string]string{"b1": a.bin, "d1": a.dir, "t1": a.tgz} {
		if _, err := s.Stage(context.Background(), artifact, StageOptions{Version: v}); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

// rewrite replaces the file at path with body, as someone with root would.
func rewrite(t *testing.T, path, body string) {
	t.Helper()
	must(t, os.Chmod(path, 0o644))
	must(t, os.WriteFile(path, []byte(body), 0o644))
}

// changes are the ways a release is changed behind sysroll's back, each
// with the release it changes and what Verify must say differs.
var changes = []struct {
	name, version, what string
	do                  func(t *testing.T, s *Store)
}{
	{"release dir deleted", "d1", "existence", func(t *testing.T, s *Store) { must(t, os.RemoveAll(s.Path("d1"))) }},
	{"release dir a link to a copy", "b1", "type", func(t *testing.T, s *Store) {
		must(t, os.Rename(s.Path("b1"), s.Path("b1")+"-copy"))
		must(t, os.Symlink("b1-copy", s.Path("b1")))
	}},
	{"binary same size", "b1", "sha256", func(t *testing.T, s *Store) {
		p := filepath.Join(s.Path("b1"), "hello")
		data, err := os.ReadFile(p)
		must(t, err)
		data[len(data)-2] ^= 1
		rewrite(t, p, string(data))
		must(t, os.Chmod(p, 0o755))
	}},
	{"binary grown", "b1", "size", func(t *testing.T, s *Store) {
		p := filepath.Join(s.Path("b1"), "hello")
		data, err := os.ReadFile(p)
		must(t, err)
		rewrite(t, p, string(data)+"# more\n")
	}},
	{"binary deleted", "b1", "existence", func(t *testing.T, s *Store) { must(t, os.Remove(filepath.Join(s.Path("b1"), "hello"))) }},
	{"binary a link", "b1", "type", func(t *testing.T, s *Store) {
		p := filepath.Join(s.Path("b1"), "hello")
		must(t, os.Rename(p, p+".real"))
		must(t, os.Symlink("hello.real", p))
	}},
	{"binary not executable", "b1", "mode", func(t *testing.T, s *Store) { must(t, os.Chmod(filepath.Join(s.Path("b1"), "hello"), 0o644)) }},
	{"dir file same size", "d1", "tree sha256", func(t *testing.T, s *Store) { rewrite(t, filepath.Join(s.Path("d1"), "sub", "data"), "DATA") }},
	{"dir file grown", "d1", "size", func(t *testing.T, s *Store) {
		rewrite(t, filepath.Join(s.Path("d1"), "sub", "data"), strings.Repeat("x", 1000))
	}},
	{"dir file added", "d1", "tree sha256", func(t *testing.T, s *Store) {
		must(t, os.WriteFile(filepath.Join(s.Path("d1"), "sub", "new"), nil, 0o644))
	}},
	{"dir file removed", "d1", "tree sha256", func(t *testing.T, s *Store) { must(t, os.Remove(filepath.Join(s.Path("d1"), "sub", "data"))) }},
	{"dir mode changed", "d1", "tree sha256", func(t *testing.T, s *Store) { must(t, os.Chmod(filepath.Join(s.Path("d1"), "hello"), 0o644)) }},
	{"dir link retargeted", "d1", "tree sha256", func(t *testing.T, s *Store) {
		p := filepath.Join(s.Path("d1"), "link")
		must(t, os.Remove(p))
		must(t, os.Symlink("hello", p))
	}},
	{"dir file a fifo", "d1", "tree sha256", func(t *testing.T, s *Store) {
		p := filepath.Join(s.Path("d1"), "sub", "data")
		must(t, os.Remove(p))
		must(t, syscall.Mkfifo(p, 0o644)) // must not block Verify
	}},
	{"tarball file same size", "t1", "tree sha256", func(t *testing.T, s *Store) { rewrite(t, filepath.Join(s.Path("t1"), "app"), "#!/bin/sx\n") }},
	{"tarball file added", "t1", "tree sha256", func(t *testing.T, s *Store) {
		must(t, os.WriteFile(filepath.Join(s.Path("t1"), "extra"), nil, 0o644))
	}},
}

// Verify is the one definition of "this release is what was staged":
// each kind freshly staged verifies, and every kind of change is caught,
// naming the release, the path and what differs.
func TestVerifyAgreesWithStage(t *testing.T) {
	s := newStore(t)
	stageEach(t, s)
	for _, v := range []string{"b1", "d1", "t1"} {
		if err := s.Verify(v); err != nil {
			t.Errorf("%s freshly staged: %v", v, err)
		}
	}
	rel, err := s.Get("t1")
	if err != nil || len(rel.TreeSHA256) != 64 {
		t.Errorf("tarball metadata records no tree hash: %+v %v", rel, err)
	}
	for _, c := range changes {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			stageEach(t, s)
			c.do(t, s)
			err := s.Verify(c.version)
			ce, ok := errors.AsType[*ChangedError](err)
			if !ok || ce.Release != c.version || ce.What != c.what || !errors.Is(err, ErrChanged) {
				t.Fatalf("Verify(%s) = %v, want a change of %s", c.version, err, c.what)
			}
			if !strings.HasPrefix(err.Error(), "release "+c.version+": ") || !strings.Contains(err.Error(), ce.Path) || !strings.HasPrefix(ce.Path, s.Path(c.version)) {
				t.Errorf("the message does not name the release and the path: %v", err)
			}
			for _, v := range []string{"b1", "d1", "t1"} {
				if v != c.version {
					if err := s.Verify(v); err != nil {
						t.Errorf("%s, unchanged: %v", v, err)
					}
				}
			}
		})
	}
}

// Verify of a release that is not staged, or whose metadata is garbage.
func TestVerifyMetadata(t *testing.T) {
	s := newStore(t)
	stageEach(t, s)
	if err := s.Verify("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Verify(nope) = %v", err)
	}
	must(t, os.WriteFile(s.metaPath("b1"), []byte("{garbage"), 0o644))
	if err := s.Verify("b1"); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), s.metaPath("b1")) {
		t.Errorf("Verify with garbage metadata = %v", err)
	}
	rel, err := s.Get("d1")
	must(t, err)
	rel.Kind = "zip"
	writeMeta(t, s, rel)
	wantErr(t, s.Verify("d1"), `metadata `+s.metaPath("d1")+`: field kind: "zip" is none of binary, dir, tarball`)
	rel, err = s.Get("t1")
	must(t, err)
	rel.Kind, rel.Artifact = ArtifactBinary, "../d1/hello"
	writeMeta(t, s, rel)
	wantErr(t, s.Verify("t1"), `field artifact: "../d1/hello" is not a file name`)
}

// A tarball staged before tree hashes were recorded is compared by its
// unpacked size: a same-size change is not seen (as documented), another
// size is.
func TestVerifyOldTarballBySize(t *testing.T) {
	s := newStore(t)
	stageEach(t, s)
	rel, err := s.Get("t1")
	must(t, err)
	rel.TreeSHA256 = ""
	writeMeta(t, s, rel)
	rewrite(t, filepath.Join(s.Path("t1"), "app"), "#!/bin/sx\n")
	if err := s.Verify("t1"); err != nil {
		t.Errorf("old metadata, same size: %v (only the size can be compared)", err)
	}
	rewrite(t, filepath.Join(s.Path("t1"), "app"), "#!/bin/sh -e\n")
	if ce, ok := errors.AsType[*ChangedError](s.Verify("t1")); !ok || ce.What != "size" {
		t.Errorf("old metadata, another size: %v", ce)
	}
}

// writeMeta overwrites a release's metadata, as an older sysroll (or
// someone) wrote it.
func writeMeta(t *testing.T, s *Store, rel Release) {
	t.Helper()
	data, err := json.Marshal(rel)
	must(t, err)
	must(t, os.WriteFile(s.metaPath(rel.Version), data, 0o644))
}
