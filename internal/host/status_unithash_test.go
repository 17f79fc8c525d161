package host

import (
	"os"
	"path/filepath"
	"testing"
)

// The unit hash is what a fleet status compares between hosts: it depends
// on the installed files only (stable across reads), and changes when a
// unit file is edited by hand (drift), back when the edit is undone. (Two
// test worlds cannot share one: their temporary paths are in the units.)
func TestStatusUnitHash(t *testing.T) {
	a := newWorld(t)
	a.install("shop", []string{"1", "2"})
	b := a
	hash := func(w *world) string {
		t.Helper()
		st, err := w.h.Status(t.Context(), StatusOptions{Service: "shop", NoProbe: true})
		if err != nil {
			t.Fatal(err)
		}
		return st.UnitSHA256
	}
	ha, hb := hash(a), hash(b)
	if len(ha) != 64 {
		t.Fatalf("unit_sha256 %q: want 64 hex digits", ha)
	}
	if ha != hb {
		t.Errorf("two reads: %s != %s", ha, hb)
	}
	unit := filepath.Join(b.h.UnitDir, "shop@.service")
	data, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(unit, append(data, "# edited by hand\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if h := hash(b); h == ha {
		t.Errorf("edited unit file: hash unchanged %s", h)
	}
	if err := os.WriteFile(unit, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if h := hash(b); h != ha {
		t.Errorf("edit undone: hash %s, want %s", h, ha)
	}
}
