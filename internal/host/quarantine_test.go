package host

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestStatusReportsQuarantined: a truncated rollout record blocks neither
// status nor history, and status names it as quarantined.
func TestStatusReportsQuarantined(t *testing.T) {
	w := newWorld(t)
	w.install("shop", []string{"1", "2"})
	dir := w.store("shop").Dir()
	record := filepath.Join(dir, "rollouts", "20261125T160000-9f3e.json")
	if err := os.WriteFile(record, []byte(`{"id":"20261125T160000-9f3e","kind":"deploy","batch`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := w.h.History(t.Context(), HistoryOptions{Service: "shop"}); err != nil {
		t.Fatalf("history: %v", err)
	}
	st, err := w.h.Status(t.Context(), StatusOptions{Service: "shop", NoProbe: true})
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	var originals []string
	for _, q := range st.Quarantined {
		originals = append(originals, q.Original)
		if !strings.HasPrefix(q.Path, q.Original+".corrupt-") || q.Reason == "" || q.When.IsZero() {
			t.Errorf("quarantined %+v", q)
		}
	}
	if !slices.Equal(originals, []string{record}) {
		t.Errorf("status quarantined %v, want [%s]", originals, record)
	}
}
