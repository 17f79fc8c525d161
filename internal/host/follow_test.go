package host

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/systemd"
)

// script drives follow: each poll runs the next step (what the unit
// writes meanwhile) and reports whether the unit still runs; after the
// last step it has ended.
type script struct {
	t     *testing.T
	path  string
	steps []string // appended to the file, one per poll
	polls int
}

func (s *script) active(context.Context) (bool, error) {
	if s.polls < len(s.steps) {
		f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			s.t.Fatal(err)
		}
		if _, err := f.WriteString(s.steps[s.polls]); err != nil {
			s.t.Fatal(err)
		}
		f.Close()
	}
	s.polls++
	return s.polls <= len(s.steps), nil
}

func noWait(context.Context) error { return nil }

// countingWriter records each Write: follow writes one line per call.
type countingWriter struct {
	bytes.Buffer
	writes []string
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, string(p))
	return w.Buffer.Write(p)
}

func TestFollowCopiesCompleteLinesUntilTheUnitEnds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []string
		from  int64
		want  []string
	}{
		{"lines as they come", []string{"a\n", "b\nc\n", ""}, 0, []string{"a\n", "b\n", "c\n"}},
		{"a line in pieces is held back until complete", []string{"a\n{\"ty", "pe\":1}", "\nz\n"}, 0, []string{"a\n", "{\"type\":1}\n", "z\n"}},
		{"the last lines before the end are drained", []string{"a\n", "b\nc\nd\n"}, 0, []string{"a\n", "b\n", "c\n", "d\n"}},
		{"a torn last line is never printed", []string{"a\n", "b\ntor"}, 0, []string{"a\n", "b\n"}},
		{"from the middle: exactly the rest", []string{"one\ntwo\n", "three\n"}, 4, []string{"two\n", "three\n"}},
		{"from the end: nothing twice", []string{"one\ntwo\n"}, 8, nil},
		{"the file appears after the unit started", []string{"", "a\n"}, 0, []string{"a\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "e")
			s := &script{t: t, path: path, steps: tc.steps}
			if tc.from > 0 {
				// The offset a first follower reached: the steps before
				// are there already.
				s.active(t.Context())
			}
			var w countingWriter
			if err := follow(t.Context(), path, tc.from, s.active, noWait, &w); err != nil {
				t.Fatal(err)
			}
			if strings.Join(w.writes, "|") != strings.Join(tc.want, "|") {
				t.Errorf("writes %q, want %q", w.writes, tc.want)
			}
		})
	}
}

// The unit writes its last lines and ends between two polls, as a
// rollout's final event and exit are: the follower, seeing it ended, still
// reads them.
func TestFollowDrainsWhatTheUnitWroteAsItEnded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "e")
	if err := os.WriteFile(path, []byte("a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	polls := 0
	active := func(context.Context) (bool, error) {
		polls++
		if polls == 2 {
			f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			f.WriteString("end\n")
			f.Close()
			return false, nil
		}
		return true, nil
	}
	var w countingWriter
	if err := follow(t.Context(), path, 0, active, noWait, &w); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(w.writes, "|"); got != "a\n|end\n" {
		t.Errorf("writes %q, want the last line too", got)
	}
}

// A torn line that the next writer cuts off (openEvents) and replaces is
// never mixed into the line written in its place.
func TestFollowTornLineReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "e")
	if err := os.WriteFile(path, []byte("a\ntorn-garb"), 0o600); err != nil {
		t.Fatal(err)
	}
	polls := 0
	active := func(context.Context) (bool, error) {
		polls++
		if polls == 2 {
			if err := os.Truncate(path, 2); err != nil {
				t.Fatal(err)
			}
			f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			f.WriteString("new line\n")
			f.Close()
		}
		return polls < 3, nil
	}
	var w countingWriter
	if err := follow(t.Context(), path, 0, active, noWait, &w); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(w.writes, "|"); got != "a\n|new line\n" {
		t.Errorf("writes %q", got)
	}
}

func TestFollowRefusals(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "e")
	if err := os.WriteFile(path, []byte("one\ntwo\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ended := func(context.Context) (bool, error) { return false, nil }
	for _, tc := range []struct {
		name string
		path string
		from int64
		want string
	}{
		{"inside a line", path, 2, "inside a line"},
		{"past the end", path, 9, "past the end"},
		{"a directory", dir, 0, "not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := follow(t.Context(), tc.path, tc.from, ended, noWait, &bytes.Buffer{})
			wantInput(t, err, tc.want)
		})
	}
	err := follow(t.Context(), filepath.Join(dir, "none"), 0, ended, noWait, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing file, unit ended: %v", err)
	}
	// A follower whose session ends stops at once.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	running := func(context.Context) (bool, error) { return true, nil }
	wait := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	if err := follow(ctx, path, 0, running, wait, &bytes.Buffer{}); err == nil {
		t.Error("a cancelled follow did not end with an error")
	}
}

func TestFollowUnitName(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"sysroll-fleet-hello-f1", "sysroll-fleet-hello-f1.service", true},
		{"sysroll-fleet-hello-f1.service", "sysroll-fleet-hello-f1.service", true},
		{"", "", false},
		{"a b", "", false},
		{"a/b", "", false},
		{"-x;rm", "", false},
	} {
		got, err := followUnit(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("followUnit(%q) = %q, %v", tc.in, got, err)
		}
	}
}

// Through the Host: the unit's state comes from systemd; follow ends once
// the unit is inactive and the file drained.
func TestHostFollowEndsWithTheUnit(t *testing.T) {
	w := newWorld(t)
	path := filepath.Join(w.dir, "e")
	if err := os.WriteFile(path, []byte("a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	unit := "sysroll-fleet-x.service"
	w.fake.Set(unit, func(u *systemd.UnitState) { u.ActiveState = systemd.Active })
	go func() {
		time.Sleep(50 * time.Millisecond)
		f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		f.WriteString("b\n")
		f.Close()
		w.fake.Set(unit, func(u *systemd.UnitState) { u.ActiveState = systemd.Inactive })
	}()
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := w.h.Follow(ctx, FollowOptions{File: path, Unit: "sysroll-fleet-x", Poll: 10 * time.Millisecond}, &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != "a\nb\n" {
		t.Errorf("follow printed %q", out.String())
	}
}
