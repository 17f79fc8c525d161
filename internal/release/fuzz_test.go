package release

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzRecord: the record decoder never panics; it returns an error or a
// record that passes Validate and survives a save and a read unchanged.
// Seeds: testdata/records/*.json (a record of each kind and result, and
// damaged ones), plus the corpus in testdata/fuzz/FuzzRecord.
func FuzzRecord(f *testing.F) {
	seeds, err := filepath.Glob("testdata/records/*.json")
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seeds in testdata/records: %v", err)
	}
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	t0 := time.Date(2026, 11, 25, 16, 50, 0, 0, time.UTC)
	for _, r := range []Result{ResultRunning, ResultInterrupted} {
		b, _ := json.Marshal(sampleRecord("20261125T165000-abcd", t0, r, 42))
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeRecord(data)
		if err != nil {
			if r != nil {
				t.Fatalf("error %v with a record", err)
			}
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("DecodeRecord returned a record that fails Validate: %v", err)
		}
		once, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("an accepted record cannot be saved: %v", err)
		}
		r2, err := DecodeRecord(once)
		if err != nil {
			t.Fatalf("a saved record is refused when read back: %v\n%s", err, once)
		}
		twice, _ := json.Marshal(r2)
		if !bytes.Equal(once, twice) {
			t.Fatalf("round trip changed the record:\n%s\n%s", once, twice)
		}
	})
}

// FuzzReleaseName: a name the rules accept is one path element that stays
// itself through the store's paths and can never be, or become, the name
// of a file sysroll keeps beside releases (metadata, temporary, staging,
// lock and quarantined files).
func FuzzReleaseName(f *testing.F) {
	for _, s := range []string{"v1", "v1.json", ".", "..", ".lock", ".tmp-x", "-rf", "a/b", "v1.corrupt-20261201T111500Z", "1.2.3+b", strings.Repeat("9", 64)} {
		f.Add(s)
	}
	const dir = "/var/lib/sysroll/hello/releases"
	f.Fuzz(func(t *testing.T, name string) {
		if validName("version", name) != nil {
			return
		}
		switch {
		case name == "." || name == "..":
			t.Fatalf("%q accepted", name)
		case strings.ContainsAny(name, "/\x00"):
			t.Fatalf("%q accepted: it holds a path separator or NUL", name)
		case strings.HasPrefix(name, "."), strings.HasPrefix(name, "-"):
			t.Fatalf("%q accepted: a dotfile (sysroll's own) or an option", name)
		case len(name) > maxNameLen:
			t.Fatalf("%q accepted: longer than %d", name, maxNameLen)
		}
		s := &Store{dir: filepath.Dir(dir), name: "hello"}
		if got := s.Path(name); got != filepath.Join(dir, name) || filepath.Base(got) != name || filepath.Dir(got) != dir {
			t.Fatalf("%q: content path %s is not one element below %s", name, got, dir)
		}
		meta := filepath.Base(s.metaPath(name))
		if v, ok := strings.CutSuffix(meta, metaSuffix); !ok || v != name {
			t.Fatalf("%q: metadata file %s does not map back to it", name, meta)
		}
		// What sysroll derives from any accepted name, or keeps anyway,
		// must itself be refused as a name, so no two can collide.
		for _, own := range []string{
			name + metaSuffix,                       // its metadata
			"." + name + metaSuffix + ".tmp-1a2b",   // an atomic write of it
			name + corruptMark + "20261201T111500Z", // it quarantined
			name + metaSuffix + corruptMark + "20261201T111500Z",
			stageLockFile, tmpPrefix + "123",
		} {
			if validName("version", own) == nil {
				t.Fatalf("%q is accepted though sysroll names a file of its own so (from %q)", own, name)
			}
		}
		if q, ok := readQuarantined(dir, name); ok {
			t.Fatalf("%q would be listed as a quarantined file: %+v", name, q)
		}
	})
}
