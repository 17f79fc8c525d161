package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/schema"
)

// installedState fakes what apply leaves for stage to read: the installed
// service file in the state directory (stage needs no systemd).
func installedState(t *testing.T) (stateDir, bin, sum string) {
	t.Helper()
	dir := t.TempDir()
	stateDir = filepath.Join(dir, "state")
	if err := os.MkdirAll(filepath.Join(stateDir, "hello"), 0o755); err != nil {
		t.Fatal(err)
	}
	svc := "name: hello\ncommand: \"{release}/app\"\ninstances: [8081]\n"
	if err := os.WriteFile(filepath.Join(stateDir, "hello", "service.yaml"), []byte(svc), 0o644); err != nil {
		t.Fatal(err)
	}
	bin = filepath.Join(dir, "app")
	body := []byte("#!/bin/sh\necho v2\n")
	if err := os.WriteFile(bin, body, 0o755); err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(body)
	return stateDir, bin, hex.EncodeToString(s[:])
}

func TestStageCLI(t *testing.T) {
	state, bin, sum := installedState(t)
	wrong := strings.Repeat("0", 64)
	sd := []string{"--state-dir", state}

	out, stderr, code := run(t, append([]string{"stage", "hello", "--artifact", bin, "--version", "v2", "--expect-sha256", wrong, "--json"}, sd...)...)
	if code != ExitFailed || !strings.Contains(stderr, "not the expected") || out != "" {
		t.Fatalf("mismatch: exit %d, out %q, stderr %q", code, out, stderr)
	}
	if _, err := os.Stat(filepath.Join(state, "hello", "releases", "v2")); !os.IsNotExist(err) {
		t.Errorf("a mismatch kept releases/v2: %v", err)
	}

	out, stderr, code = run(t, append([]string{"stage", "hello", "--artifact", bin, "--version", "v2", "--expect-sha256", sum, "--json", "--fleet", "f-1"}, sd...)...)
	var st schema.Staged
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.Version != "v2" || st.SHA256 != sum || st.Kind != "binary" || st.FleetID != "f-1" {
		t.Fatalf("stage: exit %d, out %q, stderr %q", code, out, stderr)
	}

	for _, tc := range []struct {
		name    string
		args    []string
		code    int
		has     bool
		message string
	}{
		{"has it", []string{"--has", "v2", "--expect-sha256", sum}, 0, true, ""},
		{"another sha256", []string{"--has", "v2", "--expect-sha256", wrong}, 1, false, "not " + wrong},
		{"not staged", []string{"--has", "v3", "--expect-sha256", sum}, 1, false, "not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, code := run(t, append(append([]string{"stage", "hello", "--json"}, tc.args...), sd...)...)
			var h schema.Has
			if code != tc.code || json.Unmarshal([]byte(out), &h) != nil || h.Has != tc.has || !strings.Contains(h.Reason, tc.message) {
				t.Errorf("exit %d (want %d), out %q, stderr %q", code, tc.code, out, stderr)
			}
			if stderr != "" {
				t.Errorf("an answer is not an error: stderr %q", stderr)
			}
		})
	}
	for _, args := range [][]string{
		{"stage", "hello", "--has", "v2"},
		{"stage", "hello", "--has", "v2", "--expect-sha256", sum, "--artifact", bin},
		{"stage", "hello"},
		{"stage", "hello", "--artifact", bin, "--expect-sha256", "xyz"},
		{"stage", "ghost", "--artifact", bin},
		{"deploy", "hello", "--version", "v2", "--as", "x"},
		{"follow", "/nonexistent"},
		{"follow", "/nonexistent", "--from", "-1", "--unit", "u"},
		{"follow", "/nonexistent", "--from", "0", "--unit", "a b"},
	} {
		if _, stderr, code := run(t, append(args, sd...)...); code != ExitUsage {
			t.Errorf("%v: exit %d, want 2: %s", args, code, stderr)
		}
	}
}
