package host

import (
	"reflect"
	"testing"
)

// status reports every relaxation of the installed service file's sandbox.
func TestStatusShowsRelaxations(t *testing.T) {
	w := newWorld(t)
	w.install("plain", three)
	w.install("relaxed", three,
		"hardening: {memory_deny_write_execute: false, allow_raw: [SupplementaryGroups]}",
		"service: {SupplementaryGroups: ssl-cert}")
	st, err := w.h.Status(t.Context(), StatusOptions{Service: "plain", NoProbe: true})
	if err != nil || st.Relaxations != nil {
		t.Errorf("plain: %v, relaxations %v", err, st.Relaxations)
	}
	st, err = w.h.Status(t.Context(), StatusOptions{Service: "relaxed", NoProbe: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"hardening.memory_deny_write_execute=false", "service.SupplementaryGroups=ssl-cert"}
	var got []string
	for _, r := range st.Relaxations {
		got = append(got, r.Field+"="+r.Value)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("relaxations %v, want %v", got, want)
	}
	all, err := w.h.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all.Services {
		if s.Service == "relaxed" && len(s.Relaxations) != 2 {
			t.Errorf("status without NAME: relaxations %v", s.Relaxations)
		}
	}
}
