package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/fleet/controller"
)

// TestFleetDeployCLI: what fleet deploy refuses before it connects (exit
// 2, nothing done), and a host that cannot be reached (loopback port 1:
// connection refused at once) refusing the whole rollout with exit 1.
func TestFleetDeployCLI(t *testing.T) {
	x := newFleetFixture(t)
	dir, fleet, single, sshConfig := x.dir, x.fleet, x.single, x.sshConfig
	art := x.write(t, "app", "#!/bin/sh\necho v2\n")
	state := filepath.Join(dir, "state")
	common := []string{"--ssh-config", sshConfig, "--state-dir", state}
	tests := []struct {
		name string
		args []string
		code int
		want []string // in stderr
	}{
		{"no artifact", []string{"fleet", "deploy", fleet}, ExitUsage, []string{"--artifact is required"}},
		{"not a fleet", []string{"fleet", "deploy", single, "--artifact", art}, ExitUsage, []string{"describes no fleet", "sysroll deploy hello"}},
		{"bad version", []string{"fleet", "deploy", fleet, "--artifact", art, "--version", "a/b"}, ExitUsage, []string{"version"}},
		{"limit matching nothing", []string{"fleet", "deploy", fleet, "--artifact", art, "--limit", "db*"}, ExitUsage, []string{"db*"}},
		{"missing artifact", []string{"fleet", "deploy", fleet, "--artifact", filepath.Join(dir, "nope")}, ExitUsage, []string{"--artifact"}},
		{"unreachable hosts", []string{"fleet", "deploy", fleet, "--artifact", art}, ExitFailed,
			[]string{"refused at connect (nothing was touched on any host)", "web1", "web2", "refused"}},
		{"resume with an artifact", []string{"fleet", "deploy", fleet, "--resume", "--artifact", art}, ExitUsage, []string{"--resume", "no --artifact"}},
		{"take-over without resume", []string{"fleet", "deploy", fleet, "--artifact", art, "--take-over"}, ExitUsage, []string{"--take-over goes with --resume"}},
		{"resume, unreachable hosts", []string{"fleet", "deploy", fleet, "--resume", "--dry-run"}, ExitFailed,
			[]string{"could not be reached", "web1, web2", "--resume again"}},
		{"unreachable, dry run", []string{"fleet", "deploy", fleet, "--artifact", art, "--dry-run", "--limit", "web2"}, ExitFailed,
			[]string{"refused at connect", "web2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := run(t, append(tt.args, common...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
	if _, err := os.Stat(state); err == nil {
		t.Errorf("a refused rollout wrote to the state directory")
	}
}

// TestFleetProgressJSON: a host's event line keeps every field it had and
// gains "host"; notes and the summary are one object per line.
func TestFleetProgressJSON(t *testing.T) {
	var b strings.Builder
	p := newFleetProgress(&b, true)
	p.Event("web1", []byte(`{"schema":"sysroll.event/v1","type":"batch-start","seq":7,"new_field":true}`))
	p.Note("web2", "copy: 0 bytes sent")
	p.Summary(&controller.Report{FleetID: "f1", Result: "succeeded", Hosts: []controller.HostReport{{Name: "web1", Result: "succeeded", Sent: 42}}}, "/j.json")
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines: %q", len(lines), b.String())
	}
	var ev map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &ev); err != nil || ev["host"] != "web1" || ev["seq"] != 7.0 || ev["new_field"] != true || ev["type"] != "batch-start" {
		t.Errorf("event line %s (%v)", lines[0], err)
	}
	var note map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &note); err != nil || note["host"] != "web2" || note["type"] != "fleet-note" {
		t.Errorf("note line %s (%v)", lines[1], err)
	}
	var sum struct {
		Type  string `json:"type"`
		Hosts []struct {
			Host string `json:"host"`
			Sent int64  `json:"sent_bytes"`
		} `json:"hosts"`
	}
	if err := json.Unmarshal([]byte(lines[2]), &sum); err != nil || sum.Type != "fleet-summary" || len(sum.Hosts) != 1 || sum.Hosts[0].Sent != 42 {
		t.Errorf("summary line %s (%v)", lines[2], err)
	}
}
