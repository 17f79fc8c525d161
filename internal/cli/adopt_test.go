package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// guideUnits copies the guide's three unit files into a fresh unit dir.
func guideUnits(t *testing.T) (dir string, paths []string) {
	t.Helper()
	dir = t.TempDir()
	for _, n := range []string{"my-service-1.service", "my-service-2.service", "my-service-group.service"} {
		b, err := os.ReadFile(filepath.Join("..", "adopt", "testdata", n))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return dir, paths
}

// --dry-run shows the proposal and the plan, and needs no systemd; names
// are found in --unit-dir; bad input exits 2 and names the problem.
func TestAdoptCLI(t *testing.T) {
	units, paths := guideUnits(t)
	state := t.TempDir()
	out := filepath.Join(t.TempDir(), "my-service.yaml")
	stdout, stderr, code := run(t, "adopt", "my-service-1.service", "my-service-2.service", "my-service-group.service",
		"--unit-dir", units, "--state-dir", state, "--dry-run", "--output", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{`command: "{release}/my-binary --port={port}"`, "instances: [8081, 8082]", "restart_sec: 2s",
		"skipped my-service-group.service: not an instance", "1. 8082: drain, stop and disable my-service-2.service", "(dry run: nothing changed)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	b, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(b), "name: my-service") {
		t.Errorf("--output: %q, %v", b, err)
	}
	if entries, _ := os.ReadDir(state); len(entries) != 0 {
		t.Errorf("--dry-run created %v in the state dir", entries)
	}

	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"output exists", []string{"adopt", paths[0], paths[1], "--dry-run", "--output", out}, "exists"},
		{"one unit", []string{"adopt", paths[0], "--dry-run"}, "at least two"},
		{"missing unit", []string{"adopt", "nope.service", paths[1], "--unit-dir", units, "--dry-run"}, "nope.service: no such file"},
		{"bad name", []string{"adopt", paths[0], paths[1], "--name", "../x", "--dry-run"}, "--name"},
		{"file with other instances", []string{"adopt", paths[0], paths[1], "--file", writeTemp(t, "name: my-service\ncommand: \"{release}/my-binary --port={port}\"\ninstances: [9000]\n"), "--dry-run"}, "instances [9000]"},
		{"no args", []string{"adopt"}, "requires at least 1 arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := run(t, tt.args...)
			if code != 2 || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want exit 2 naming %q", code, stderr, tt.stderr)
			}
		})
	}
}

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f.yaml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// --json prints the report as one JSON document: the proposal with its
// spans in seconds, the order and the service file.
func TestAdoptJSON(t *testing.T) {
	_, paths := guideUnits(t)
	stdout, stderr, code := run(t, "adopt", paths[0], paths[1], "--dry-run", "--json", "--state-dir", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Service  string `json:"service"`
		DryRun   bool   `json:"dry_run"`
		Proposal struct {
			Command     string   `json:"command"`
			StopTimeout float64  `json:"stop_timeout"`
			RestartSec  *float64 `json:"restart_sec"`
		} `json:"proposal"`
		Order []struct {
			Port int `json:"port"`
		} `json:"order"`
		ServiceFile string `json:"service_file"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	if rep.Service != "my-service" || !rep.DryRun || rep.Proposal.StopTimeout != 10 || rep.Proposal.RestartSec == nil || *rep.Proposal.RestartSec != 2 ||
		len(rep.Order) != 2 || rep.Order[0].Port != 8082 || !strings.Contains(rep.ServiceFile, "instances: [8081, 8082]") {
		t.Errorf("report %+v", rep)
	}
}
