package release

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fileSHA(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// ExpectSHA256 compares the digest Release.SHA256 holds for each kind; a
// mismatch keeps nothing, a match stages as without it.
func TestStageExpectSHA256(t *testing.T) {
	bin := helloScript(t, t.TempDir(), "1")
	tgz := makeTarball(t, entry{name: "hello", typ: tar.TypeReg, mode: 0o755, body: "#!/bin/sh\n"})
	dir := t.TempDir()
	writeScript(t, filepath.Join(dir, "hello"), "echo d")
	// A directory's digest is its tree hash: learn it from a staging.
	dirSHA, err := newStore(t).Stage(context.Background(), dir, StageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wrong := strings.Repeat("0", 64)
	for _, tc := range []struct {
		name, artifact, want string
	}{
		{"binary", bin, fileSHA(t, bin)},
		{"tarball", tgz, fileSHA(t, tgz)},
		{"dir", dir, dirSHA.SHA256},
		{"binary upper case", bin, strings.ToUpper(fileSHA(t, bin))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			_, err := s.Stage(context.Background(), tc.artifact, StageOptions{Version: "v1", ExpectSHA256: wrong})
			if ce, ok := errors.AsType[*ChecksumError](err); !ok || ce.Got != strings.ToLower(tc.want) || ce.Want != wrong {
				t.Fatalf("mismatch: err = %v, want a ChecksumError got %s", err, tc.want)
			}
			if _, err := s.Get("v1"); !errors.Is(err, ErrNotFound) {
				t.Errorf("after a mismatch Get = %v, want not found", err)
			}
			if rels, err := s.Releases(); err != nil || len(rels) != 0 {
				t.Errorf("after a mismatch releases = %v, %v", rels, err)
			}
			leftovers, _ := filepath.Glob(filepath.Join(s.Dir(), "releases", "*"))
			for _, l := range leftovers {
				if !strings.HasPrefix(filepath.Base(l), ".") {
					t.Errorf("a mismatch left %s", l)
				}
			}
			r, err := s.Stage(context.Background(), tc.artifact, StageOptions{Version: "v1", ExpectSHA256: tc.want})
			if err != nil || r.SHA256 != strings.ToLower(tc.want) {
				t.Errorf("match: %+v, %v", r, err)
			}
		})
	}
}
