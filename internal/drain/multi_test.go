package drain

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

// recorder is a Drainer that logs its calls into a shared slice.
type recorder struct {
	name             string
	log              *[]string
	drainErr, undErr error
	checkErr, allErr error
}

func (r *recorder) Drain(_ context.Context, in string) error {
	*r.log = append(*r.log, r.name+" drain "+in)
	return r.drainErr
}

func (r *recorder) Undrain(_ context.Context, in string) error {
	*r.log = append(*r.log, r.name+" undrain "+in)
	return r.undErr
}

// checking adds Check and UndrainAll to a recorder.
type checking struct{ *recorder }

func (c checking) Check(context.Context, []string) error {
	*c.log = append(*c.log, c.name+" check")
	return c.checkErr
}

func (c checking) UndrainAll(context.Context, []string) error {
	*c.log = append(*c.log, c.name+" undrain all")
	return c.allErr
}

func TestMultiOrder(t *testing.T) {
	var log []string
	lb := &recorder{name: "lb", log: &log}
	hook := &recorder{name: "hook", log: &log}
	m := Multi(lb, nil, hook)
	if m.Len() != 2 {
		t.Fatalf("Len = %d", m.Len())
	}
	if err := m.Drain(t.Context(), "1"); err != nil {
		t.Fatal(err)
	}
	if err := m.Undrain(t.Context(), "1"); err != nil {
		t.Fatal(err)
	}
	want := []string{"lb drain 1", "hook drain 1", "hook undrain 1", "lb undrain 1"}
	if !reflect.DeepEqual(log, want) {
		t.Errorf("calls %q, want %q", log, want)
	}
}

func TestMultiErrors(t *testing.T) {
	var log []string
	boom, bang := errors.New("boom"), errors.New("bang")
	lb := &recorder{name: "lb", log: &log, drainErr: boom, undErr: bang}
	hook := &recorder{name: "hook", log: &log, undErr: boom}
	m := Multi(lb, hook)
	if err := m.Drain(t.Context(), "1"); !errors.Is(err, boom) {
		t.Errorf("Drain err = %v", err)
	}
	err := m.Undrain(t.Context(), "1")
	if !errors.Is(err, boom) || !errors.Is(err, bang) {
		t.Errorf("Undrain err = %v, want both", err)
	}
	want := []string{"lb drain 1", "hook undrain 1", "lb undrain 1"}
	if !reflect.DeepEqual(log, want) {
		t.Errorf("calls %q, want %q (drain stops at the first error, undrain goes on)", log, want)
	}
}

func TestMultiCheckAndUndrainAll(t *testing.T) {
	var log []string
	bad := errors.New("no backend")
	lb := checking{&recorder{name: "lb", log: &log, checkErr: bad}}
	hook := &recorder{name: "hook", log: &log}
	m := Multi(lb, hook)
	if err := m.Check(t.Context(), []string{"1"}); !errors.Is(err, bad) {
		t.Errorf("Check err = %v", err)
	}
	if err := m.UndrainAll(t.Context(), []string{"1"}); err != nil {
		t.Errorf("UndrainAll err = %v", err)
	}
	want := []string{"lb check", "lb undrain all"}
	if !reflect.DeepEqual(log, want) {
		t.Errorf("calls %q, want %q (hooks have neither)", log, want)
	}
}

func TestMultiEmpty(t *testing.T) {
	m := Multi()
	if err := m.Drain(t.Context(), "1"); err != nil {
		t.Error(err)
	}
	if err := m.Undrain(t.Context(), "1"); err != nil {
		t.Error(err)
	}
}
