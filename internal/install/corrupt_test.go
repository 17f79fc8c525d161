package install

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// hostileApplied plants a damaged or crafted applied.json.
var hostileApplied = []struct {
	name  string
	plant func(t *testing.T, path, victim string)
}{
	{"garbage", writeTo("\x00garbage")},
	{"truncated", writeTo(`{"files":["hello@.service","hello.tar`)},
	{"wrong type", writeTo(`{"files":"hello@.service"}`)},
	{"huge", writeTo(`{"files":["` + strings.Repeat("x", maxApplied) + `"]}`)},
	{"link to a victim", func(t *testing.T, path, victim string) { mustDo(t, os.Symlink(victim, path)) }},
	{"fifo", func(t *testing.T, path, _ string) { mustDo(t, syscall.Mkfifo(path, 0o600)) }},
	{"lists files outside the service", func(t *testing.T, path, victim string) {
		rel, _ := filepath.Rel(filepath.Dir(path), victim)
		writeTo(`{"files":["hello@.service","../units/other.service","`+filepath.Join("..", "..", rel)+`"]}`)(t, path, victim)
	}},
}

func writeTo(content string) func(t *testing.T, path, victim string) {
	return func(t *testing.T, path, _ string) { mustDo(t, os.WriteFile(path, []byte(content), 0o644)) }
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestUninstallCorruptApplied: whatever applied.json holds, uninstall
// (with and without purge) stops the instances and removes exactly the
// service's unit files, and touches nothing else.
func TestUninstallCorruptApplied(t *testing.T) {
	for _, tc := range hostileApplied {
		for _, purge := range []bool{false, true} {
			t.Run(tc.name+map[bool]string{true: " purge"}[purge], func(t *testing.T) {
				e := newEnv(t)
				e.apply(t, desiredFor([]string{"8081"}, "v1\n"))
				other := filepath.Join(e.in.UnitDir, "other.service")
				mustDo(t, os.WriteFile(other, []byte("[Unit]\n"), 0o644))
				victim := filepath.Join(t.TempDir(), "victim")
				mustDo(t, os.WriteFile(victim, []byte("precious\n"), 0o644))
				path := e.in.appliedPath()
				mustDo(t, os.Remove(path))
				tc.plant(t, path, victim)

				var warned []string
				e.in.Warn = func(m string) { warned = append(warned, m) }
				if err := e.in.Uninstall(context.Background(), "hello", purge); err != nil {
					t.Fatalf("Uninstall: %v", err)
				}
				corrupt := tc.name != "lists files outside the service"
				if corrupt && (len(warned) == 0 || !strings.Contains(warned[0], path)) {
					t.Errorf("warnings %q do not name %s", warned, path)
				}
				if kept, _ := filepath.Glob(path + ".corrupt-*Z"); !purge && corrupt && len(kept) != 1 {
					t.Errorf("plain uninstall kept %v of the corrupt %s, want it aside", kept, path)
				}
				entries, _ := os.ReadDir(e.in.UnitDir)
				if len(entries) != 1 || entries[0].Name() != "other.service" {
					t.Errorf("unit dir after uninstall: %v, want only other.service", entries)
				}
				if s, _ := e.fake.State("hello@8081.service"); s.Running() {
					t.Error("instance still running")
				}
				if b, err := os.ReadFile(victim); err != nil || string(b) != "precious\n" {
					t.Errorf("victim = %q, %v", b, err)
				}
			})
		}
	}
}

// TestPlanCorruptApplied: a corrupt applied.json is moved aside and apply
// goes on, finding what it installed by name: the socket the service no
// longer has is still removed.
func TestPlanCorruptApplied(t *testing.T) {
	for _, tc := range hostileApplied {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			d := desiredFor([]string{"8081"}, "v1\n")
			d.Socket = "hello.socket"
			d.Files = append(d.Files, File{Name: "hello.socket", Data: []byte("[Socket]\n")})
			e.apply(t, d)
			victim := filepath.Join(t.TempDir(), "victim")
			mustDo(t, os.WriteFile(victim, []byte("precious\n"), 0o644))
			path := e.in.appliedPath()
			mustDo(t, os.Remove(path))
			tc.plant(t, path, victim)

			p, err := e.in.Plan(context.Background(), desiredFor([]string{"8081"}, "v1\n"))
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			var deletes []string
			for _, c := range p.Changes {
				if c.Action == Delete {
					deletes = append(deletes, c.Name)
				}
			}
			if !slices.Equal(deletes, []string{"hello.socket"}) {
				t.Errorf("deletes = %v, want [hello.socket]", deletes)
			}
			matches, _ := filepath.Glob(path + ".corrupt-*")
			if corrupt := tc.name != "lists files outside the service"; corrupt != (len(matches) > 0) {
				t.Errorf("%s: moved aside %v, want %v", path, len(matches) > 0, corrupt)
			}
			if err := e.in.Apply(context.Background(), p); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if a, err := e.in.readApplied(); err != nil || !slices.Equal(a.Files, []string{"hello@.service", "hello.target"}) {
				t.Errorf("applied.json after apply: %+v, %v", a, err)
			}
		})
	}
}

// TestApplyStateDir: the state dir apply creates can be traversed by the
// service's dynamic user whatever the umask, and one that others could
// write in (and so swap what sysroll runs) is refused, naming the fix.
func TestApplyStateDir(t *testing.T) {
	e := newEnv(t)
	old := syscall.Umask(0o077)
	e.apply(t, desiredFor([]string{"8081"}, "v1\n"))
	syscall.Umask(old)
	fi, err := os.Stat(e.in.StateDir)
	if err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("state dir: %v, %v; want 0755", fi.Mode(), err)
	}
	mustDo(t, os.Chmod(e.in.StateDir, 0o777))
	p, err := e.in.Plan(context.Background(), desiredFor([]string{"8081", "8082"}, "v1\n"))
	mustDo(t, err)
	err = e.in.Apply(context.Background(), p)
	if err == nil || !strings.Contains(err.Error(), "chmod go-w "+e.in.StateDir) {
		t.Fatalf("apply into a world-writable state dir: %v", err)
	}
}
