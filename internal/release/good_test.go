package release

import (
	"errors"
	"testing"
)

func TestGoodHistory(t *testing.T) {
	// Steps: "good X" marks X good (a successful deploy or rollback),
	// "gone X" deletes release X (pruned by hand).
	type step struct{ op, version string }
	for _, tc := range []struct {
		name      string
		steps     []step
		current   string // asked PreviousGood(current)
		wantGood  string
		wantPrev  string // "" means ErrNoGoodRelease
		wantItems int
	}{
		{"nothing marked", nil, "v1", "", "", 0},
		{"one release", []step{{"good", "v1"}}, "v1", "v1", "", 1},
		{"previous deploy", []step{{"good", "v1"}, {"good", "v2"}, {"good", "v3"}}, "v3", "v3", "v2", 3},
		{"failed deploy goes to known good", []step{{"good", "v1"}, {"good", "v2"}}, "v3", "v2", "v2", 2},
		{"restart marks nothing new", []step{{"good", "v1"}, {"good", "v2"}, {"good", "v2"}}, "v2", "v2", "v1", 2},
		{"rollbacks walk back step by step",
			[]step{{"good", "v1"}, {"good", "v2"}, {"good", "v3"}, {"good", "v2"}}, "v2", "v2", "v1", 3},
		{"down to the first",
			[]step{{"good", "v1"}, {"good", "v2"}, {"good", "v3"}, {"good", "v2"}, {"good", "v1"}}, "v1", "v1", "", 3},
		{"deploy after rollback drops the undone",
			[]step{{"good", "v1"}, {"good", "v2"}, {"good", "v3"}, {"good", "v2"}, {"good", "v4"}}, "v4", "v4", "v2", 3},
		{"rollback to a named older release is undoable",
			[]step{{"good", "v1"}, {"good", "v2"}, {"good", "v3"}, {"good", "v1"}}, "v1", "v1", "v3", 4},
		{"pruned releases are skipped",
			[]step{{"good", "v1"}, {"good", "v2"}, {"good", "v3"}, {"gone", "v2"}}, "v3", "v3", "v1", 3},
		{"never returns current",
			[]step{{"good", "v1"}, {"good", "v2"}, {"good", "v1"}}, "v1", "v1", "", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			for _, v := range []string{"v1", "v2", "v3", "v4"} {
				stageVersion(t, s, v)
			}
			for _, st := range tc.steps {
				var err error
				switch st.op {
				case "good":
					err = s.MarkGood(st.version)
				case "gone":
					err = s.removeRelease(st.version)
				}
				if err != nil {
					t.Fatalf("%s %s: %v", st.op, st.version, err)
				}
			}
			if good, err := s.KnownGood(); good != tc.wantGood || err != nil {
				t.Errorf("KnownGood = %q, %v; want %q", good, err, tc.wantGood)
			}
			prev, err := s.PreviousGood(tc.current)
			if tc.wantPrev == "" {
				if !errors.Is(err, ErrNoGoodRelease) {
					t.Errorf("PreviousGood(%s) = %q, %v; want ErrNoGoodRelease", tc.current, prev, err)
				}
			} else if prev != tc.wantPrev || err != nil {
				t.Errorf("PreviousGood(%s) = %q, %v; want %q", tc.current, prev, err, tc.wantPrev)
			}
			h, err := s.GoodHistory()
			if err != nil || len(h.Entries) != tc.wantItems {
				t.Errorf("history %+v, %v; want %d entries", h, err, tc.wantItems)
			}
		})
	}
}

func TestMarkGoodUnknownRelease(t *testing.T) {
	s := newStore(t)
	if err := s.MarkGood("v1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("MarkGood of a missing release: %v", err)
	}
}

func TestGoodHistoryIsBounded(t *testing.T) {
	s := newStore(t)
	stageVersion(t, s, "a")
	stageVersion(t, s, "b")
	stageVersion(t, s, "c")
	// Alternating named rollbacks append every time.
	for i := range maxGoodHistory + 10 {
		if err := s.MarkGood([]string{"a", "b", "c"}[i%3]); err != nil {
			t.Fatal(err)
		}
	}
	h, _ := s.GoodHistory()
	if len(h.Entries) != maxGoodHistory || h.Current != maxGoodHistory-1 || h.Version != h.Entries[h.Current].Version {
		t.Errorf("history of %d entries, current %d (%s)", len(h.Entries), h.Current, h.Version)
	}
}
