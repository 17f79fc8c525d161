package release

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// artifactOf is the artifact a release of stageEach was staged from.
func (a staged) artifactOf(version string) string {
	return map[string]string{"b1": a.bin, "d1": a.dir, "t1": a.tgz}[version]
}

// Staging the artifact a release was staged from repairs the release
// when its content no longer verifies, whatever the change: the fix that
// host.BrokenError suggests. The metadata is kept, and nothing is left
// behind in releases/.
func TestStageRepairsABrokenRelease(t *testing.T) {
	for _, c := range changes {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			a := stageEach(t, s)
			before, err := s.Get(c.version)
			must(t, err)
			c.do(t, s)
			if s.Verify(c.version) == nil {
				t.Fatal("the change is not seen")
			}
			got, err := s.Stage(context.Background(), a.artifactOf(c.version), StageOptions{Version: c.version, Check: []string{"false"}})
			if err != nil {
				t.Fatalf("restage: %v", err)
			}
			if err := s.Verify(c.version); err != nil {
				t.Errorf("after the restage: %v", err)
			}
			if !got.Created.Equal(before.Created) || got.SHA256 != before.SHA256 {
				t.Errorf("restage = %+v, want the existing %+v", got, before)
			}
			// Six entries (three releases, their metadata, the stage lock),
			// and the copy a test moved aside.
			left := releaseDirEntries(t, s)
			if len(left) != 6 && !(len(left) == 7 && c.name == "release dir a link to a copy") {
				t.Errorf("releases/ holds %v", left)
			}
		})
	}
}

// A release whose content verifies is never replaced by a restage (its
// directory is the same one), and a broken release is not repaired with
// another artifact: that is refused as a different checksum, and the
// broken content stays for a look.
func TestStageRepairsOnlyWithTheSameArtifact(t *testing.T) {
	s := newStore(t)
	a := stageEach(t, s)
	ino := func(v string) uint64 {
		fi, err := os.Lstat(s.Path(v))
		must(t, err)
		return fi.Sys().(*syscall.Stat_t).Ino
	}
	for _, v := range []string{"b1", "d1", "t1"} {
		was := ino(v)
		if _, err := s.Stage(context.Background(), a.artifactOf(v), StageOptions{Version: v}); err != nil {
			t.Fatal(err)
		}
		if ino(v) != was {
			t.Errorf("%s: an intact release was replaced", v)
		}
	}

	other := helloScript(t, t.TempDir(), "2")
	rewrite(t, filepath.Join(s.Path("b1"), "hello"), "broken")
	_, err := s.Stage(context.Background(), other, StageOptions{Version: "b1"})
	wantErr(t, err, "release b1 already exists with a different checksum")
	if data, _ := os.ReadFile(filepath.Join(s.Path("b1"), "hello")); string(data) != "broken" {
		t.Errorf("a broken release was replaced by another artifact: %q", data)
	}
	// With its directory gone too: the metadata still says what b1 is.
	must(t, os.RemoveAll(s.Path("b1")))
	_, err = s.Stage(context.Background(), other, StageOptions{Version: "b1"})
	wantErr(t, err, "release b1 already exists with a different checksum")
	if _, err := os.Lstat(s.Path("b1")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("another artifact was staged as b1: %v", err)
	}
	if _, err := s.Stage(context.Background(), a.bin, StageOptions{Version: "b1"}); err != nil || s.Verify("b1") != nil {
		t.Errorf("the original artifact does not repair b1: %v", err)
	}
}

// A tarball staged before tree hashes: its same-size change is not seen
// by Verify, but a restage of its archive compares the tree with what
// the archive unpacks to, repairs it and records the tree hash.
func TestStageRepairsAnOldTarball(t *testing.T) {
	s := newStore(t)
	a := stageEach(t, s)
	rel, err := s.Get("t1")
	must(t, err)
	tree := rel.TreeSHA256
	rel.TreeSHA256 = ""
	writeMeta(t, s, rel)
	rewrite(t, filepath.Join(s.Path("t1"), "app"), "#!/bin/sx\n")
	if _, err := s.Stage(context.Background(), a.tgz, StageOptions{Version: "t1"}); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(s.Path("t1"), "app")); string(data) != "#!/bin/sh\n" {
		t.Errorf("not repaired: %q", data)
	}
	if rel, err := s.Get("t1"); err != nil || rel.TreeSHA256 != tree {
		t.Errorf("the tree hash is not recorded: %+v %v", rel, err)
	}
}
