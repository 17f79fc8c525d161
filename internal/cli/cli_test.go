package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/config"
)

func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), code
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: hello\ncommand: x\ninstances: [8081]\nhealty_for: 3s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	guide, _ := filepath.Glob("../lint/testdata/guide/*.service")
	if len(guide) != 3 {
		t.Fatalf("guide units: %v", guide)
	}
	tests := []struct {
		name    string
		args    []string
		code    int
		stderr  string // substring
		noStack bool
	}{
		{"version", []string{"version"}, 0, "", true},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command", true},
		{"unknown flag", []string{"status", "--frob"}, 2, "unknown flag", true},
		{"too many args", []string{"init", "a", "b"}, 2, "accepts 1 arg", true},
		{"bad service name", []string{"init", "../etc"}, 2, "not a valid service name", true},
		{"render misspelled key", []string{"render", bad}, 2, "healty_for", true},
		{"render missing file", []string{"render", filepath.Join(dir, "nope.yaml")}, 2, "no such file", true},
		{"apply bad file", []string{"apply", bad, "--unit-dir", dir + "/u", "--state-dir", dir + "/s"}, 2, "healty_for", true},
		{"deploy without artifact", []string{"deploy", "hello"}, 2, "--artifact", true},
		{"deploy bad probe", []string{"deploy", "hello", "--artifact", "x", "--probe", "ftp://x"}, 2, "--probe", true},
		{"lint guide", []string{"lint", guide[0], guide[1], guide[2]}, 1, "", true},
		{"lint missing", []string{"lint", filepath.Join(dir, "none.service")}, 2, "none.service", true},
		{"status not installed", []string{"status", "ghost", "--state-dir", dir}, 2, "not installed", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := run(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr %q lacks %q", stderr, tt.stderr)
			}
			if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
				t.Errorf("stack trace on stderr: %s", stderr)
			}
		})
	}
	// Nothing was written by the failed apply.
	if _, err := os.Stat(dir + "/u"); !os.IsNotExist(err) {
		t.Errorf("failed apply created the unit dir: %v", err)
	}
}

func TestInitWritesAValidStarter(t *testing.T) {
	out, _, code := run(t, "init", "shop")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	svc, err := config.Parse("starter.yaml", []byte(out))
	if err != nil {
		t.Fatalf("starter does not parse: %v", err)
	}
	if svc.Name != "shop" {
		t.Errorf("name = %q", svc.Name)
	}
}

func TestRenderOutputDir(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "shop.yaml")
	out, _, _ := run(t, "init", "shop")
	if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := run(t, "render", file, "--output-dir", filepath.Join(dir, "units"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, name := range []string{"shop@.service", "shop.target"} {
		b, err := os.ReadFile(filepath.Join(dir, "units", name))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stdout, name) {
			t.Errorf("output does not mention %s", name)
		}
		if name == "shop.target" && (!strings.Contains(string(b), "Wants=shop@8081.service") || strings.Contains(string(b), "\nRequires=")) {
			t.Errorf("target:\n%s", b)
		}
	}
	// The rendered units pass our own linter.
	stdout, _, code = run(t, "lint", filepath.Join(dir, "units"))
	if code != 0 || stdout != "no findings\n" {
		t.Errorf("lint of rendered units: exit %d\n%s", code, stdout)
	}
}

func TestLintJSON(t *testing.T) {
	guide, _ := filepath.Glob("../lint/testdata/guide/*.service")
	stdout, _, code := run(t, append([]string{"lint", "--json"}, guide...)...)
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	var findings []map[string]any
	if err := json.Unmarshal([]byte(stdout), &findings); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	rules := map[string]bool{}
	for _, f := range findings {
		rules[f["rule"].(string)] = true
	}
	for _, r := range []string{"inline-comment", "restart-sec-fallback", "wrong-section", "partof-direction", "no-exec-start", "instance-dependency", "network-target", "active-not-ready"} {
		if !rules[r] {
			t.Errorf("no %s finding in %v", r, rules)
		}
	}
}

func TestHelpTeaches(t *testing.T) {
	for _, cmd := range []string{"apply", "deploy", "restart", "rollback", "status", "lint", "render", "history", "uninstall", "init"} {
		out, _, code := run(t, cmd, "--help")
		if code != 0 || !strings.Contains(out, "Examples:") && !strings.Contains(out, "Example") {
			t.Errorf("%s --help: exit %d, no examples:\n%s", cmd, code, out)
		}
	}
	out, _, _ := run(t, "--help")
	if !strings.Contains(out, "Exit status:") {
		t.Errorf("root help does not document exit codes:\n%s", out)
	}
}
