package release

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

func TestPrune(t *testing.T) {
	for _, tc := range []struct {
		name  string
		keep  int
		setup func(t *testing.T, s *Store)
		want  []string // removed
	}{
		{"nothing to protect", 2, nil, []string{"v1", "v2", "v3", "v4"}},
		{"keep all", 6, nil, nil},
		{"keep none", 0, nil, []string{"v1", "v2", "v3", "v4", "v5", "v6"}},
		{"instances' releases stay", 1, func(t *testing.T, s *Store) {
			must(t, s.Switch("8081", "v1"))
			must(t, s.Switch("8082", "v3"))
		}, []string{"v2", "v4", "v5"}},
		{"known good and its rollback target stay", 1, func(t *testing.T, s *Store) {
			must(t, s.MarkGood("v1"))
			must(t, s.MarkGood("v2"))
			must(t, s.MarkGood("v3"))
		}, []string{"v1", "v4", "v5"}},
		{"running rollout's releases stay", 1, func(t *testing.T, s *Store) {
			must(t, s.SaveRecord(&Record{ID: "r1", Kind: KindDeploy, Result: ResultRunning, From: "v1", To: "v2",
				Instances: []Instance{{Name: "8081", From: "v3", To: "v2", Phase: PhasePending, Batch: -1}}}))
			must(t, s.SaveRecord(&Record{ID: "r0", Kind: KindDeploy, Result: ResultSucceeded, From: "v4", To: "v5"}))
		}, []string{"v4", "v5"}},
		{"all at once", 1, func(t *testing.T, s *Store) {
			must(t, s.Switch("8081", "v1"))
			must(t, s.MarkGood("v2"))
			must(t, s.MarkGood("v3"))
			must(t, s.SaveRecord(&Record{ID: "r1", Kind: KindDeploy, Result: ResultRunning, From: "v3", To: "v4"}))
		}, []string{"v5"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			var all []string
			for _, v := range []string{"v1", "v2", "v3", "v4", "v5", "v6"} {
				stageVersion(t, s, v)
				all = append(all, v)
			}
			if tc.setup != nil {
				tc.setup(t, s)
			}
			removed, err := s.Prune(tc.keep)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(removed, tc.want) {
				t.Errorf("removed %v, want %v", removed, tc.want)
			}
			rels, _ := s.Releases()
			left := versions(rels)
			for _, v := range all {
				if slices.Contains(removed, v) == slices.Contains(left, v) {
					t.Errorf("%s: removed %v but releases are %v", v, removed, left)
				}
				if _, err := os.Lstat(s.Path(v)); (err == nil) == slices.Contains(removed, v) {
					t.Errorf("%s: content dir present=%v after prune", v, err == nil)
				}
			}
		})
	}
}

func TestPruneLeftovers(t *testing.T) {
	s := newStore(t)
	stageVersion(t, s, "v1")
	rel := func(name string) string { return filepath.Join(s.Dir(), releasesDir, name) }
	// A staging directory nobody holds is a killed Stage's, however new;
	// one whose flock is held is a Stage in progress.
	os.MkdirAll(rel(".tmp-killed/x"), 0o700)
	os.MkdirAll(rel(".tmp-running"), 0o700)
	held, err := os.Open(rel(".tmp-running"))
	must(t, err)
	defer held.Close()
	must(t, flock(held, unix.LOCK_EX|unix.LOCK_NB))
	os.WriteFile(rel(".v2.json.tmp-123"), nil, 0o600)
	os.WriteFile(filepath.Join(s.Dir(), ".known-good.tmp-1"), nil, 0o600)
	os.WriteFile(filepath.Join(s.Dir(), ".applied.json.tmp-1"), nil, 0o600)
	os.MkdirAll(rel("uncommitted"), 0o755) // content without metadata
	os.WriteFile(rel("nocontent.json"), []byte(`{"version":"nocontent"}`), 0o644)

	removed, err := s.Prune(5)
	if err != nil || len(removed) != 0 {
		t.Fatalf("Prune = %v, %v", removed, err)
	}
	for name, want := range map[string]bool{
		".tmp-killed": false, ".tmp-running": true, ".v2.json.tmp-123": false,
		"../.known-good.tmp-1": false, "../.applied.json.tmp-1": true,
		"uncommitted": false, "nocontent.json": false,
		"v1": true, "v1.json": true, stageLockFile: true,
	} {
		if _, err := os.Lstat(rel(name)); (err == nil) != want {
			t.Errorf("%s: present=%v, want %v", name, err == nil, want)
		}
	}
}

func TestPruneRefusesNegative(t *testing.T) {
	if _, err := newStore(t).Prune(-1); err == nil {
		t.Error("Prune(-1) accepted")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
