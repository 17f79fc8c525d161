package release

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// newStore opens a store in a fresh directory named like a service.
func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "hello"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// writeScript writes an executable /bin/sh script.
func writeScript(t *testing.T, path, body string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// helloScript is a fake service binary: it prints its version with
// -print-version and fails on -fail.
func helloScript(t *testing.T, dir, version string) string {
	t.Helper()
	return writeScript(t, filepath.Join(dir, "hello"), `
case "$1" in
-print-version) echo `+version+`;;
-fail) echo "broken build: missing libfoo" >&2; exit 3;;
esac`)
}

// stageVersion stages a fresh binary as version (its content differs per
// version) and returns the release.
func stageVersion(t *testing.T, s *Store, version string) Release {
	t.Helper()
	bin := helloScript(t, t.TempDir(), version)
	r, err := s.Stage(context.Background(), bin, StageOptions{Version: version})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// entry is one tarball entry for makeTarball.
type entry struct {
	name     string
	typ      byte
	mode     int64
	body     string
	linkname string
}

func makeTarball(t *testing.T, entries ...entry) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Linkname: e.linkname, Format: tar.FormatPAX}
		if hdr.Mode == 0 {
			hdr.Mode = 0o644
		}
		if e.typ == tar.TypeReg {
			hdr.Size = int64(len(e.body))
		}
		if e.typ == tar.TypeXGlobalHeader {
			hdr = &tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: e.name, PAXRecords: map[string]string{"comment": "abc"}}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("header %s: %v", e.name, err)
		}
		if e.body != "" {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "app.tar.gz")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// releaseDirEntries lists releases/ except the stage lock: after a failed
// Stage it must be empty (no release, no staging leftovers).
func releaseDirEntries(t *testing.T, s *Store) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(s.Dir(), releasesDir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.Name() != stageLockFile {
			names = append(names, e.Name())
		}
	}
	return names
}

func versions(rels []Release) []string {
	var vs []string
	for _, r := range rels {
		vs = append(vs, r.Version)
	}
	return vs
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode()
}

func wantErr(t *testing.T, err error, substr string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", substr)
	}
	t.Logf("error: %v", err)
	if !strings.Contains(err.Error(), substr) {
		t.Fatalf("error %q does not contain %q", err, substr)
	}
}

func sorted(m map[string]string) []string {
	var ks []string
	for k, v := range m {
		ks = append(ks, k+"="+v)
	}
	slices.Sort(ks)
	return ks
}
