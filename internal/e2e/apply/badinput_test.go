//go:build integration

package apply

import (
	"bytes"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// badDir holds the config package's hostile service files; each starts with
// "# want: SUBSTRING" of the error it must get.
const badDir = "../../config/testdata/bad"

// wantNothingWritten runs f and requires that the unit directory and the
// state root look exactly as before, and that systemd loaded nothing new.
func wantNothingWritten(t *testing.T, f func()) {
	t.Helper()
	before, units := tree(t, unitDir, stateRoot), listUnits(t, "*")
	f()
	if after := tree(t, unitDir, stateRoot); !slices.Equal(before, after) {
		t.Errorf("files changed:\nbefore %v\nafter  %v", before, after)
	}
	if after := listUnits(t, "*"); !slices.Equal(units, after) {
		t.Errorf("loaded units changed:\nbefore %v\nafter  %v", units, after)
	}
}

// TestApplyBadInput: malformed and hostile service files and invocations,
// through the real binary: exit 2, an error naming the problem, no panic,
// and nothing written or loaded.
func TestApplyBadInput(t *testing.T) {
	dir := path.Join(workRoot, "bad")
	t.Cleanup(func() { e2etest.Run(t, "rm", "-rf", dir) })
	rel := e2etest.HelloRelease(t, path.Join(dir, "release"), "v1")
	good := service{name: "e2e-bad", ports: []int{19090}}.yaml()

	tests := []struct {
		name string
		file string   // service file content ("" = not written)
		args []string // after "apply FILE"
		want string   // in stderr
	}{
		{"unknown key", strings.Replace(good, "description:", "descripton:", 1), []string{"--artifact", rel}, `unknown key "descripton" (did you mean description?)`},
		{"unknown nested key", good + "rollout: {batch: 1, failure_acton: halt}\n", []string{"--artifact", rel}, `unknown key "failure_acton" in rollout (did you mean failure_action?)`},
		{"port out of range", strings.Replace(good, "[19090]", "[19090, 70000]", 1), []string{"--artifact", rel}, "port 70000 out of range"},
		{"port zero", strings.Replace(good, "[19090]", "[0]", 1), []string{"--artifact", rel}, "out of range"},
		{"name with ../", strings.Replace(good, "name: e2e-bad", `name: "../e2e-bad"`, 1), []string{"--artifact", rel}, "would escape"},
		{"name with /", strings.Replace(good, "name: e2e-bad", `name: "etc/e2e-bad"`, 1), []string{"--artifact", rel}, "not a valid service name"},
		{"name with newline", strings.Replace(good, "name: e2e-bad", `name: "e2e-bad\nExecStartPre=/bin/evil"`, 1), []string{"--artifact", rel}, "not a valid service name"},
		{"description injects a line", strings.Replace(good, "description: e2e e2e-bad", `description: "x\n[Service]\nExecStartPre=/bin/evil"`, 1), []string{"--artifact", rel}, "newline"},
		{"duplicate instances", strings.Replace(good, "[19090]", "[19090, 19090]", 1), []string{"--artifact", rel}, "duplicate"},
		{"empty command", strings.Replace(good, `command: "{release}/hello --port {port}"`, `command: ""`, 1), []string{"--artifact", rel}, "command"},
		{"bad YAML", "name: [e2e-bad\n", []string{"--artifact", rel}, "service.yaml:"},
		{"wrong type", strings.Replace(good, "[19090]", "yes", 1), []string{"--artifact", rel}, "instances"},
		{"empty file", "\n", []string{"--artifact", rel}, "name"},
		{"no --artifact on first install", good, nil, "--artifact"},
		{"missing artifact", good, []string{"--artifact", path.Join(dir, "no-such-release")}, "artifact rejected, nothing changed"},
		{"no file", "", []string{"--artifact", rel}, "no such file"},
		{"extra args", good, []string{"--artifact", rel, "extra"}, "accepts 1 arg"},
		{"unknown flag", good, []string{"--artifcat", rel}, "unknown flag"},
	}
	// Every hostile file of the config package's own table, through the binary.
	entries, err := os.ReadDir(badDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(badDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := bytes.Cut(b, []byte("\n"))
		want, ok := strings.CutPrefix(string(first), "# want: ")
		if !ok {
			t.Fatalf("%s: first line %q is not \"# want: ...\"", e.Name(), first)
		}
		tests = append(tests, struct {
			name, file string
			args       []string
			want       string
		}{"config/" + e.Name(), string(b), []string{"--artifact", rel}, want})
	}
	if len(tests) < 30 {
		t.Fatalf("only %d cases", len(tests))
	}

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := path.Join(dir, "service.yaml")
			e2etest.Run(t, "rm", "-f", file)
			if tc.file != "" {
				e2etest.WriteFile(t, file, tc.file, 0o644)
			}
			wantNothingWritten(t, func() {
				r := e2etest.Sysroll(t, append([]string{"apply", file}, tc.args...)...)
				if r.Code != 2 || !strings.Contains(r.Stderr, tc.want) {
					t.Errorf("want exit 2 and %q in stderr, got %s", tc.want, r)
				}
				if strings.Contains(r.Stderr, "panic") || strings.Contains(r.Stderr, "internal error") || r.Stdout != "" {
					t.Errorf("bad input must print one error, no output: %s", r)
				}
			})
		})
	}
}
