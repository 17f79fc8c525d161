package release

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestStageBinary(t *testing.T) {
	s := newStore(t)
	bin := helloScript(t, t.TempDir(), "1.0")
	data, _ := os.ReadFile(bin)
	sum := sha256.Sum256(data)
	wantSum := hex.EncodeToString(sum[:])

	r, err := s.Stage(context.Background(), bin, StageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.SHA256 != wantSum || r.Version != wantSum[:12] || r.Kind != ArtifactBinary ||
		r.Artifact != "hello" || r.Size != int64(len(data)) || r.Source != bin {
		t.Errorf("release = %+v, want sha %s, version %s", r, wantSum, wantSum[:12])
	}
	if got, _ := os.ReadFile(filepath.Join(r.Path, "hello")); string(got) != string(data) {
		t.Errorf("staged content differs")
	}
	if m := mode(t, filepath.Join(r.Path, "hello")); m != 0o755 {
		t.Errorf("binary mode %v, want 0755", m)
	}
	if m := mode(t, r.Path); m.Perm() != 0o755 {
		t.Errorf("release dir mode %v, want 0755", m)
	}
	got, err := s.Get(r.Version)
	if err != nil || got.SHA256 != r.SHA256 || !got.Created.Equal(r.Created) || got.Path != s.Path(r.Version) {
		t.Errorf("Get = %+v, %v; want %+v", got, err, r)
	}
	if entries := releaseDirEntries(t, s); len(entries) != 2 {
		t.Errorf("releases/ holds %v, want the release and its metadata", entries)
	}
}

func TestStageRefuses(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, []byte("data"), 0o644)
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := helloScript(t, dir, "1")
	for _, tc := range []struct {
		name, artifact, version, want string
	}{
		{"non-executable file", plain, "", "not executable"},
		{"fifo", fifo, "", "not a regular file"},
		{"missing", filepath.Join(dir, "nope"), "", "no such file"},
		{"dot version", bin, ".", "invalid version"},
		{"dotdot version", bin, "..", "invalid version"},
		{"hidden version", bin, ".v1", "invalid version"},
		{"slash version", bin, "a/b", "invalid version"},
		{"long version", bin, strings.Repeat("x", 65), "invalid version"},
		{"space version", bin, "v 1", "invalid version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			_, err := s.Stage(context.Background(), tc.artifact, StageOptions{Version: tc.version})
			wantErr(t, err, tc.want)
			if left := releaseDirEntries(t, s); len(left) != 0 {
				t.Errorf("left behind %v", left)
			}
		})
	}
}

func TestStageDir(t *testing.T) {
	src := t.TempDir()
	helloScript(t, filepath.Join(src, "bin"), "1")
	os.MkdirAll(filepath.Join(src, "etc", "empty"), 0o700)
	os.WriteFile(filepath.Join(src, "etc", "conf"), []byte("port=8081\n"), 0o600)
	os.Symlink("etc/conf", filepath.Join(src, "conf"))
	os.Symlink("../etc", filepath.Join(src, "bin", "etc"))

	s := newStore(t)
	r, err := s.Stage(context.Background(), src, StageOptions{Version: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != ArtifactDir || r.Artifact != filepath.Base(src) {
		t.Errorf("release = %+v", r)
	}
	for path, want := range map[string]os.FileMode{
		"bin/hello":  0o755,
		"etc/conf":   0o644, // readable by the service's (dynamic) user
		"etc/empty":  os.ModeDir | 0o755,
		"conf":       os.ModeSymlink | 0o777,
		".":          os.ModeDir | 0o755,
		"bin/etc":    os.ModeSymlink | 0o777,
		"bin":        os.ModeDir | 0o755,
		"etc":        os.ModeDir | 0o755,
		"etc/../etc": os.ModeDir | 0o755,
	} {
		if got := mode(t, filepath.Join(r.Path, path)); got != want {
			t.Errorf("%s: mode %v, want %v", path, got, want)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(r.Path, "bin", "etc", "conf")); string(got) != "port=8081\n" {
		t.Errorf("link not kept: %q", got)
	}

	// The checksum depends on content only: same tree elsewhere, same sum;
	// a changed mode, another sum.
	s2 := newStore(t)
	r2, err := s2.Stage(context.Background(), src, StageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r2.SHA256 != r.SHA256 || r2.Version != r.SHA256[:12] {
		t.Errorf("restaged sum %s, want %s", r2.SHA256, r.SHA256)
	}
	os.Chmod(filepath.Join(src, "etc", "conf"), 0o700)
	r3, err := s2.Stage(context.Background(), src, StageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r3.SHA256 == r.SHA256 {
		t.Errorf("making a file executable did not change the checksum")
	}
}

func TestStageDirRefusesEscapes(t *testing.T) {
	for _, tc := range []struct {
		name, link, target, want string
	}{
		{"absolute", "passwd", "/etc/passwd", "is absolute"},
		{"parent", "out", "../outside", "leads outside"},
		{"down and out", "out", "sub/../../outside", "leads outside"},
		{"dangling", "gone", "missing", "does not resolve"},
		{"through a link", "sub/up", "../self/..", "resolves outside"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "app")
			helloScript(t, src, "1")
			os.Mkdir(filepath.Join(src, "sub"), 0o755)
			os.Symlink(".", filepath.Join(src, "self"))
			if err := os.Symlink(tc.target, filepath.Join(src, tc.link)); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(filepath.Dir(src), "outside"), nil, 0o644)
			s := newStore(t)
			_, err := s.Stage(context.Background(), src, StageOptions{})
			wantErr(t, err, tc.want)
			if left := releaseDirEntries(t, s); len(left) != 0 {
				t.Errorf("left behind %v", left)
			}
		})
	}
}

func TestStageDirRefusesSpecialFiles(t *testing.T) {
	src := t.TempDir()
	helloScript(t, src, "1")
	if err := unix.Mkfifo(filepath.Join(src, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newStore(t)
	_, err := s.Stage(context.Background(), src, StageOptions{})
	wantErr(t, err, "unsupported file type")
}

func TestStageIdempotentAndConflict(t *testing.T) {
	s := newStore(t)
	dir := t.TempDir()
	bin := helloScript(t, dir, "1")
	first, err := s.Stage(context.Background(), bin, StageOptions{Version: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.Stage(context.Background(), bin, StageOptions{Version: "v1", Check: []string{"false"}})
	if err != nil {
		t.Fatalf("restage: %v", err)
	}
	if !again.Created.Equal(first.Created) || again.SHA256 != first.SHA256 {
		t.Errorf("restage = %+v, want the existing %+v", again, first)
	}

	helloScript(t, dir, "2")
	_, err = s.Stage(context.Background(), bin, StageOptions{Version: "v1"})
	wantErr(t, err, "release v1 already exists with a different checksum")
	rels, _ := s.Releases()
	if len(rels) != 1 || rels[0].SHA256 != first.SHA256 {
		t.Errorf("releases after conflict: %+v", rels)
	}
	if left := releaseDirEntries(t, s); len(left) != 2 {
		t.Errorf("releases/ holds %v", left)
	}
}

// Processes staging the same artifact at once all get the one release.
func TestStageConcurrent(t *testing.T) {
	s := newStore(t)
	bin := helloScript(t, t.TempDir(), "1")
	var (
		wg   sync.WaitGroup
		rels [4]Release
		errs [4]error
	)
	for i := range rels {
		wg.Go(func() { rels[i], errs[i] = s.Stage(context.Background(), bin, StageOptions{}) })
	}
	wg.Wait()
	for i := range rels {
		if errs[i] != nil || !rels[i].Created.Equal(rels[0].Created) {
			t.Errorf("stage %d: %+v, %v; want %+v", i, rels[i], errs[i], rels[0])
		}
	}
	if left := releaseDirEntries(t, s); len(left) != 2 {
		t.Errorf("releases/ holds %v", left)
	}
}

func TestStageReplacesUncommittedLeftover(t *testing.T) {
	s := newStore(t)
	// A crash between rename and metadata write leaves content only.
	os.MkdirAll(filepath.Join(s.Path("v1"), "junk"), 0o755)
	r := stageVersion(t, s, "v1")
	if _, err := os.Stat(filepath.Join(r.Path, "junk")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("leftover content survived restage: %v", err)
	}
}

func TestStageCheck(t *testing.T) {
	for _, tc := range []struct {
		name    string
		check   []string
		timeout time.Duration
		want    string // error substring; "" for success
	}{
		{"own binary by bare name", []string{"hello", "-print-version"}, 0, ""},
		{"through PATH in a shell", []string{"/bin/sh", "-c", "hello -print-version | grep -q 1.0"}, 0, ""},
		{"release placeholder", []string{"/bin/sh", "-c", `test -x {release}/hello && test "$SYSROLL_RELEASE" = {release} && test "$PWD" = {release}`}, 0, ""},
		{"system command", []string{"true"}, 0, ""},
		{"failing", []string{"hello", "-fail"}, 0, "broken build: missing libfoo"},
		{"exit status", []string{"hello", "-fail"}, 0, "exit status 3"},
		{"unknown command", []string{"no-such-cmd-sysroll"}, 0, "neither in the release nor in PATH"},
		{"timeout", []string{"sleep", "10"}, 200 * time.Millisecond, "timed out after 200ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			bin := helloScript(t, t.TempDir(), "1.0")
			r, err := s.Stage(context.Background(), bin, StageOptions{Check: tc.check, CheckTimeout: tc.timeout})
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s.Get(r.Version); err != nil {
					t.Error(err)
				}
				return
			}
			wantErr(t, err, tc.want)
			if left := releaseDirEntries(t, s); len(left) != 0 {
				t.Errorf("left behind %v", left)
			}
		})
	}
}
