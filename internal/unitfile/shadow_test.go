package unitfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/config"
)

// A rendered unit may not take the name of a unit the host already has,
// unless that file is this service's own from an earlier apply: installed in
// /etc/systemd/system, it would replace (or overwrite) the host's unit.
// Verify let every such name through (name: postgresql replaced Debian's
// postgresql@.service).
func TestCheckShadowing(t *testing.T) {
	svc, err := config.Parse("svc.yaml", []byte("name: hello\ncommand: /bin/true\ninstances: [8081]\n"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := Render(svc, Paths{})
	if err != nil {
		t.Fatal(err)
	}
	own, _ := files.Get("hello@.service")
	other, err := config.Parse("svc.yaml", []byte("name: other\ncommand: /bin/true\ninstances: [8081]\n"))
	if err != nil {
		t.Fatal(err)
	}
	otherFiles, err := Render(other, Paths{})
	if err != nil {
		t.Fatal(err)
	}
	otherUnit, _ := otherFiles.Get("other@.service")
	for _, tc := range []struct {
		name  string
		setup func(dir string) error
		want  string // "" for no error
	}{
		{"free", func(string) error { return nil }, ""},
		{"own from an earlier apply", func(d string) error {
			return os.WriteFile(filepath.Join(d, "hello@.service"), []byte(own.Content), 0o644)
		}, ""},
		{"a vendor unit", func(d string) error {
			return os.WriteFile(filepath.Join(d, "hello@.service"), []byte("[Service]\nExecStart=/usr/bin/hello\n"), 0o644)
		}, "hello@.service already exists on this host and is not sysroll's"},
		{"a hand-written target", func(d string) error { return os.WriteFile(filepath.Join(d, "hello.target"), []byte("[Unit]\n"), 0o644) }, "hello.target already exists"},
		{"a masked unit", func(d string) error { return os.Symlink(os.DevNull, filepath.Join(d, "hello.target")) }, "hello.target already exists"},
		{"another service's file", func(d string) error {
			return os.WriteFile(filepath.Join(d, "hello@.service"), []byte(otherUnit.Content), 0o644)
		}, "hello@.service already exists"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := tc.setup(dir); err != nil {
				t.Fatal(err)
			}
			err := checkShadowing(svc, files, []string{filepath.Join(dir, "missing"), dir})
			if tc.want == "" {
				if err != nil {
					t.Errorf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "svc.yaml:1:7: name:") || !strings.Contains(err.Error(), "choose another name") {
				t.Errorf("err = %v, want it at svc.yaml:1:7: name: with %q", err, tc.want)
			}
		})
	}
}
