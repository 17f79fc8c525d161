package release

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// succeeded saves the record of a rollout to version that succeeded.
func succeeded(t *testing.T, s *Store, id, version string, at time.Time) {
	t.Helper()
	must(t, s.SaveRecord(&Record{ID: id, Service: "hello", Kind: KindDeploy, To: version, Result: ResultSucceeded, Started: at, Ended: at.Add(time.Minute)}))
}

func TestCorruptKnownGood(t *testing.T) {
	forged, _ := json.Marshal(GoodHistory{Version: "v3", Current: 1, Entries: []GoodEntry{{Version: "v1"}, {Version: "v3"}}})
	for _, tc := range []struct {
		name  string
		plant func(t *testing.T, path string)
		msg   string
	}{
		{"truncated", plantFile(`{"version":"v2","current":1,"entries":[{"version":"v1"},{"vers`), "(truncated?)"},
		{"garbage", plantFile("\x00\x01garbage"), "is not valid JSON at byte 1"},
		{"current out of range", plantFile(`{"version":"v2","current":7,"entries":[{"version":"v1"},{"version":"v2"}]}`), "field current: 7 is out of range: 2 entries"},
		{"version disagrees", plantFile(`{"version":"v9","current":1,"entries":[{"version":"v1"},{"version":"v2"}]}`), `field version: "v9", but entries[1] (current) is "v2"`},
		{"hostile entry", plantFile(`{"version":"v2","current":1,"entries":[{"version":"../../x"},{"version":"v2"}]}`), `field entries[0].version: invalid version "../../x"`},
		{"link to a forged history", func(t *testing.T, path string) {
			// v3 never passed a rollout: a history read through the link
			// would make rollback pick it.
			forgedPath := filepath.Join(t.TempDir(), "forged")
			must(t, os.WriteFile(forgedPath, forged, 0o600))
			must(t, os.Symlink(forgedPath, path))
		}, "is a symbolic link"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
			s := newStore(t)
			for _, v := range []string{"v1", "v2", "v3", "v4"} {
				stageVersion(t, s, v)
			}
			// v1 then v2 were deployed; v3 failed (no record proves it).
			succeeded(t, s, "r1", "v1", t0)
			must(t, s.MarkGood("v1"))
			succeeded(t, s, "r2", "v2", t0.Add(time.Hour))
			must(t, s.MarkGood("v2"))
			path := filepath.Join(s.Dir(), knownGoodFile)
			must(t, os.Remove(path))
			tc.plant(t, path)

			// Rollback reads the history rebuilt from the records, never
			// the planted one: from v2 back to v1, never to v3.
			h, err := s.GoodHistory()
			if err != nil || !h.Rebuilt || h.Version != "v2" || len(h.Entries) != 2 {
				t.Fatalf("GoodHistory = %+v, %v; want rebuilt [v1 v2] at v2", h, err)
			}
			if prev, err := s.PreviousGood("v2"); err != nil || prev != "v1" {
				t.Fatalf("PreviousGood(v2) = %q, %v; want v1", prev, err)
			}
			q, err := s.Quarantined()
			if err != nil || len(q) != 1 || q[0].Original != path || q[0].What != goodWhat || !strings.Contains(q[0].Reason, tc.msg) {
				t.Fatalf("Quarantined = %+v, %v; want %s with %q", q, err, path, tc.msg)
			}
			// A deploy of v4 that succeeded is marked good, and prune works.
			tc.plant(t, path)
			must(t, s.MarkGood("v4"))
			if h, err := s.GoodHistory(); err != nil || h.Rebuilt || h.Version != "v4" {
				t.Fatalf("after MarkGood(v4): %+v, %v", h, err)
			}
			if _, err := s.Prune(1); err != nil {
				t.Fatalf("Prune: %v", err)
			}
			if _, err := s.Get("v2"); err != nil {
				t.Errorf("prune deleted v2, the release a rollback from v4 goes to: %v", err)
			}
		})
	}
}

func plantFile(content string) func(t *testing.T, path string) {
	return func(t *testing.T, path string) { must(t, os.WriteFile(path, []byte(content), 0o600)) }
}

// TestLostKnownGoodRefusesRollback: with the history gone and no record to
// prove a release good, rollback refuses, naming the file and the way out.
func TestLostKnownGoodRefusesRollback(t *testing.T) {
	s := newStore(t)
	stageVersion(t, s, "v1")
	stageVersion(t, s, "v2")
	must(t, s.MarkGood("v1")) // by apply: no record
	must(t, s.MarkGood("v2"))
	path := filepath.Join(s.Dir(), knownGoodFile)
	must(t, os.WriteFile(path, []byte("{"), 0o600))
	_, err := s.PreviousGood("v2")
	wantErr(t, err, "the known-good history was corrupt and was moved aside to "+path+corruptMark)
	wantErr(t, err, "`sysroll rollback hello --to VERSION`")
	if _, ok := errors.AsType[*LostGoodError](err); !ok || errors.Is(err, ErrNoGoodRelease) {
		t.Errorf("error %T %v: want a *LostGoodError, not ErrNoGoodRelease", err, err)
	}
	// Still refused once a new history was written without v1, and prune
	// (after a deploy of v3) is not failed by it.
	stageVersion(t, s, "v3")
	must(t, s.MarkGood("v3"))
	_, err = s.PreviousGood("v3")
	wantErr(t, err, "moved aside to "+path+corruptMark)
	if _, err := s.Prune(1); err != nil {
		t.Errorf("Prune: %v", err)
	}
}

// TestCorruptMetadata: garbage metadata of one release blocks neither the
// listing, nor a successful deploy's mark-good and prune; the release's
// content is never deleted, and staging its version again is refused.
func TestCorruptMetadata(t *testing.T) {
	for _, tc := range []struct {
		name  string
		plant func(t *testing.T, path string)
		msg   string
	}{
		{"garbage", plantFile("not json"), "is not valid JSON at byte 2"},
		{"truncated", plantFile(`{"version":"v1","sha256":"ab`), "(truncated?)"},
		{"other version", plantFile(`{"version":"v2"}`), `field version: "v2", but the file is named for "v1"`},
		{"wrong type", plantFile(`{"version":"v1","size":"big"}`), "field size"},
		{"symlink", func(t *testing.T, path string) { must(t, os.Symlink("v2.json", path)) }, "is a symbolic link"},
		{"huge", plantFile(`{"version":"v1","source":"` + strings.Repeat("x", maxMetaSize) + `"}`), "file too large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			for _, v := range []string{"v1", "v2", "v3"} {
				stageVersion(t, s, v)
			}
			must(t, s.MarkGood("v2"))
			path := s.metaPath("v1")
			must(t, os.Remove(path))
			tc.plant(t, path)

			_, err := s.Get("v1")
			wantErr(t, err, "release metadata "+path)
			wantErr(t, err, tc.msg)
			tc.plant(t, path)
			rels, err := s.Releases()
			if err != nil || !slices.Equal(versions(rels), []string{"v2", "v3"}) {
				t.Fatalf("Releases = %v, %v", versions(rels), err)
			}
			must(t, s.MarkGood("v3"))
			if removed, err := s.Prune(0); err != nil || len(removed) != 0 {
				t.Fatalf("Prune = %v, %v; want nothing removed (v2, v3 are good; v1 unknown)", removed, err)
			}
			if fi, err := os.Lstat(s.Path("v1")); err != nil || !fi.IsDir() {
				t.Fatalf("v1's content was deleted: %v", err)
			}
			_, err = s.Get("v1")
			wantErr(t, err, "its metadata was corrupt and is quarantined as "+path+corruptMark)
			bin := helloScript(t, t.TempDir(), "other")
			_, err = s.Stage(t.Context(), bin, StageOptions{Version: "v1"})
			wantErr(t, err, "stage this artifact under another version")
			if q, err := s.Quarantined(); err != nil || len(q) != 2 || q[0].What != metaWhat {
				t.Errorf("Quarantined = %+v, %v", q, err)
			}
		})
	}
}
