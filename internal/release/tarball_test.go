package release

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStageTarball(t *testing.T) {
	hello := "#!/bin/sh\necho hi\n"
	for _, tc := range []struct {
		name    string
		strip   int
		entries []entry
	}{
		{"tar -C dir .", 0, []entry{
			{name: "pax_global_header", typ: tar.TypeXGlobalHeader},
			{name: "./", typ: tar.TypeDir, mode: 0o755},
			{name: "./hello", typ: tar.TypeReg, mode: 0o755, body: hello},
			{name: "./lib/data", typ: tar.TypeReg, mode: 0o600, body: "data"},
			{name: "./lib/link", typ: tar.TypeSymlink, linkname: "data"},
			{name: "./hello2", typ: tar.TypeLink, linkname: "./hello"},
		}},
		{"wrapped in a top directory", 1, []entry{
			{name: "hello-1.0/", typ: tar.TypeDir, mode: 0o755},
			{name: "hello-1.0/hello", typ: tar.TypeReg, mode: 0o755, body: hello},
			{name: "hello-1.0/lib/data", typ: tar.TypeReg, mode: 0o644, body: "data"},
			{name: "hello-1.0/lib/link", typ: tar.TypeSymlink, linkname: "data"},
			{name: "hello-1.0/hello2", typ: tar.TypeLink, linkname: "hello-1.0/hello"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tgz := makeTarball(t, tc.entries...)
			s := newStore(t)
			r, err := s.Stage(context.Background(), tgz, StageOptions{StripComponents: tc.strip, Check: []string{"hello"}})
			if err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(tgz)
			sum := sha256.Sum256(data)
			if want := hex.EncodeToString(sum[:]); r.SHA256 != want || r.Kind != ArtifactTarball {
				t.Errorf("release %+v, want sha256 %s of the tarball", r, want)
			}
			if r.Size != int64(len(hello)+len("data")) { // a hard link takes no space
				t.Errorf("size %d", r.Size)
			}
			for path, want := range map[string]os.FileMode{
				"hello":    0o755,
				"hello2":   0o755,
				"lib":      os.ModeDir | 0o755,
				"lib/data": 0o644,
				"lib/link": os.ModeSymlink | 0o777,
			} {
				if got := mode(t, filepath.Join(r.Path, path)); got != want {
					t.Errorf("%s: mode %v, want %v", path, got, want)
				}
			}
			if got, _ := os.ReadFile(filepath.Join(r.Path, "lib", "link")); string(got) != "data" {
				t.Errorf("lib/link reads %q", got)
			}
		})
	}
}

func TestStageHostileTarball(t *testing.T) {
	for _, tc := range []struct {
		name    string
		max     int64
		entries []entry
		want    string
	}{
		{"parent path", 0, []entry{{name: "../evil", typ: tar.TypeReg, body: "x"}}, `".." in path`},
		{"parent inside path", 0, []entry{{name: "a/../../evil", typ: tar.TypeReg, body: "x"}}, `".." in path`},
		{"absolute path", 0, []entry{{name: "/tmp/evil", typ: tar.TypeReg, body: "x"}}, "absolute path"},
		{"absolute symlink", 0, []entry{{name: "etc", typ: tar.TypeSymlink, linkname: "/etc"}}, "absolute path"},
		{"escaping symlink", 0, []entry{{name: "up", typ: tar.TypeSymlink, linkname: "../../.."}}, "leads outside"},
		{"write through escaping symlink", 0, []entry{
			{name: "up", typ: tar.TypeSymlink, linkname: ".."},
			{name: "up/evil", typ: tar.TypeReg, body: "x"},
		}, "up/evil"},
		{"link relative to a link", 0, []entry{
			{name: "self", typ: tar.TypeSymlink, linkname: "."},
			{name: "self/up", typ: tar.TypeSymlink, linkname: "../evil"},
		}, "leads outside"},
		{"hard link out", 0, []entry{{name: "h", typ: tar.TypeLink, linkname: "../../etc/passwd"}}, `".." in path`},
		{"hard link absolute", 0, []entry{{name: "h", typ: tar.TypeLink, linkname: "/etc/passwd"}}, "absolute path"},
		{"char device", 0, []entry{{name: "null", typ: tar.TypeChar}}, "unsupported entry type"},
		{"fifo", 0, []entry{{name: "pipe", typ: tar.TypeFifo}}, "unsupported entry type"},
		{"too big", 10, []entry{{name: "big", typ: tar.TypeReg, body: strings.Repeat("x", 11)}}, "size limit"},
		{"too big in total", 10, []entry{
			{name: "a", typ: tar.TypeReg, body: "123456"},
			{name: "b", typ: tar.TypeReg, body: "123456"},
		}, "size limit"},
		{"duplicate file", 0, []entry{
			{name: "hello", typ: tar.TypeReg, body: "good"},
			{name: "hello", typ: tar.TypeReg, body: "evil"},
		}, "duplicate entry"},
		{"file over symlink", 0, []entry{
			{name: "hello", typ: tar.TypeSymlink, linkname: "other"},
			{name: "hello", typ: tar.TypeReg, body: "evil"},
		}, "duplicate entry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tgz := makeTarball(t, tc.entries...)
			s := newStore(t)
			_, err := s.Stage(context.Background(), tgz, StageOptions{MaxSize: tc.max})
			wantErr(t, err, tc.want)
			if left := releaseDirEntries(t, s); len(left) != 0 {
				t.Errorf("left behind %v", left)
			}
			// Nothing may have been written next to the release store or
			// the tarball.
			for _, dir := range []string{s.Dir(), filepath.Dir(s.Dir()), filepath.Join(s.Dir(), releasesDir)} {
				if _, err := os.Lstat(filepath.Join(dir, "evil")); err == nil {
					t.Errorf("%s/evil was written", dir)
				}
			}
		})
	}
}

func TestStageNotGzip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.tgz")
	os.WriteFile(path, []byte("not gzip"), 0o644)
	_, err := newStore(t).Stage(context.Background(), path, StageOptions{})
	wantErr(t, err, "not a gzip file")
}

func TestEntryName(t *testing.T) {
	for _, tc := range []struct {
		name  string
		strip int
		want  string
		err   bool
	}{
		{"./a/b", 0, "a/b", false},
		{"a//b/", 0, "a/b", false},
		{"./", 0, "", false},
		{"top/", 1, "", false},
		{"top/a", 1, "a", false},
		{"top/a", 2, "", false},
		{"../a", 1, "", true},
		{"/a", 0, "", true},
	} {
		got, err := entryName(tc.name, tc.strip)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("entryName(%q, %d) = %q, %v; want %q, error %v", tc.name, tc.strip, got, err, tc.want, tc.err)
		}
	}
}
