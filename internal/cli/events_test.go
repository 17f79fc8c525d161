package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/schema"
)

func sampleEvents() []rollout.Event {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	return []rollout.Event{
		{Service: "hello", Time: t0, Type: rollout.EventStaged, Batch: -1, Message: "v2 (sha256 9f86d081884c, binary)"},
		{Service: "hello", Time: t0, Type: rollout.EventPhase, Instance: "8081", Phase: release.PhaseGate, Batch: 0},
		{Service: "hello", Time: t0, Type: rollout.EventRolloutEnd, Batch: -1, Result: release.ResultSucceeded},
	}
}

// readEvents decodes every line of path, requiring each to be complete.
func readEvents(t *testing.T, path string) []schema.Event {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Fatalf("%s ends in a torn line: %q", path, b)
	}
	var out []schema.Event
	for line := range strings.Lines(string(b)) {
		var e schema.Event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		out = append(out, e)
	}
	return out
}

// The file gets exactly what --json prints, plus seq; standard output is
// unchanged (no seq).
func TestEventsFileTeesTheJSONStream(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.events")
	var warn, stdout bytes.Buffer
	ev, err := openEvents(path, &warn)
	if err != nil {
		t.Fatal(err)
	}
	p := teeProgress{&jsonProgress{enc: json.NewEncoder(&stdout)}, ev}
	for _, e := range sampleEvents() {
		p.Event(e)
	}
	if err := ev.close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("events file mode %v, %v; want 0600", fi.Mode(), err)
	}
	if strings.Contains(stdout.String(), `"seq"`) {
		t.Errorf("stdout carries seq: %s", stdout.String())
	}
	got := readEvents(t, path)
	out := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	if len(got) != 3 || len(out) != 3 {
		t.Fatalf("file has %d events, stdout %d; want 3", len(got), len(out))
	}
	for i, e := range got {
		if e.Seq != uint64(i+1) {
			t.Errorf("line %d: seq %d, want %d", i, e.Seq, i+1)
		}
		e.Seq = 0
		b, _ := json.Marshal(e)
		if string(b) != out[i] {
			t.Errorf("line %d without seq:\n%s\nstdout:\n%s", i, b, out[i])
		}
	}
	if warn.Len() != 0 {
		t.Errorf("warnings: %s", warn.String())
	}
}

// Appending to the same file again goes on numbering; a torn last line
// (a kill mid-write) is cut off first, so no line is glued onto it.
func TestEventsFileContinuesAfterATornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.events")
	ev, err := openEvents(path, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range sampleEvents()[:2] {
		ev.Event(e)
	}
	if err := ev.close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"schema":"sysroll.event/v1","seq":3,"type":"pha`); err != nil {
		t.Fatal(err)
	}
	f.Close()
	ev, err = openEvents(path, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	ev.Event(sampleEvents()[2])
	if err := ev.close(); err != nil {
		t.Fatal(err)
	}
	got := readEvents(t, path)
	var seqs []uint64
	for _, e := range got {
		seqs = append(seqs, e.Seq)
	}
	if len(seqs) != 3 || seqs[0] != 1 || seqs[1] != 2 || seqs[2] != 3 || got[2].Type != "rollout-end" {
		t.Errorf("seqs %v (last %q), want 1 2 3 ending in rollout-end", seqs, got[len(got)-1].Type)
	}
}

func TestEventsFileRefusals(t *testing.T) {
	dir := t.TempDir()
	if _, err := openEvents(filepath.Join(dir, "missing", "f.events"), &bytes.Buffer{}); !isUsage(err) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing directory: %v", err)
	}
	if _, err := openEvents(dir, &bytes.Buffer{}); err == nil {
		t.Error("a directory was taken as an events file")
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(filepath.Join(dir, "target"), link); err != nil {
		t.Fatal(err)
	}
	if _, err := openEvents(link, &bytes.Buffer{}); err == nil {
		t.Error("a symlink was followed")
	}
	path := filepath.Join(dir, "f.events")
	first, err := openEvents(path, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	defer first.close()
	if _, err := openEvents(path, &bytes.Buffer{}); !isUsage(err) || !strings.Contains(err.Error(), "another sysroll") {
		t.Errorf("second writer: %v", err)
	}
}

// A write that fails stops the appending with one warning; the rollout
// (the caller) never sees an error or a panic.
func TestEventsFileWriteFailureWarnsOnce(t *testing.T) {
	var warn bytes.Buffer
	ev, err := openEvents(filepath.Join(t.TempDir(), "f.events"), &warn)
	if err != nil {
		t.Fatal(err)
	}
	ev.f.Close() // what a full disk or a lost file system looks like here
	for _, e := range sampleEvents() {
		ev.Event(e)
	}
	if n := strings.Count(warn.String(), "warning"); n != 1 {
		t.Errorf("%d warnings, want 1: %s", n, warn.String())
	}
	_ = ev.close()
}

func TestFleetFlagsRefusedFirst(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"deploy", "hello", "--artifact", "x", "--fleet", "Bad_ID"},
		{"deploy", "hello", "--version", "v2", "--fleet", strings.Repeat("a", 65)},
		{"restart", "hello", "--fleet", "a/b"},
		{"rollback", "hello", "--fleet", ""},
		{"stage", "hello", "--artifact", "x", "--fleet", "X"},
		{"deploy", "hello", "--version", "v2", "--events", filepath.Join(dir, "none", "e")},
	} {
		_, stderr, code := run(t, append(args, "--state-dir", dir)...)
		if code != ExitUsage || (!strings.Contains(stderr, "fleet") && !strings.Contains(stderr, "--events")) {
			t.Errorf("%v: exit %d, %s", args, code, stderr)
		}
	}
}

func TestOfFleet(t *testing.T) {
	recs := []release.Record{{ID: "4", FleetID: "f"}, {ID: "3"}, {ID: "2", FleetID: "f"}, {ID: "1", FleetID: "g"}, {ID: "0", FleetID: "f"}}
	for _, tc := range []struct {
		limit int
		want  string
	}{{0, "4 2 0"}, {2, "4 2"}, {1, "4"}} {
		var ids []string
		for _, r := range ofFleet(recs, "f", tc.limit) {
			ids = append(ids, r.ID)
		}
		if got := strings.Join(ids, " "); got != tc.want {
			t.Errorf("limit %d: %q, want %q", tc.limit, got, tc.want)
		}
	}
	if got := ofFleet(recs, "none", 0); got == nil || len(got) != 0 {
		t.Errorf("no match: %v, want an empty list (JSON [])", got)
	}
}
