package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/fleet/controller"
)

// TestFleetVerbsCLI: what fleet restart, rollback, history and uninstall
// refuse before they connect (exit 2, no stack trace), and hosts that
// cannot be reached (loopback port 1: connection refused at once): a
// restart refused whole, --skip-unreachable with nothing left refused
// too, the history reporting them with exit 1.
func TestFleetVerbsCLI(t *testing.T) {
	x := newFleetFixture(t)
	dir, fleet, single, sshConfig := x.dir, x.fleet, x.single, x.sshConfig
	state := filepath.Join(dir, "state")
	common := []string{"--ssh-config", sshConfig, "--state-dir", state}
	tests := []struct {
		name   string
		args   []string
		code   int
		want   []string // in stderr
		stdout []string
	}{
		{"restart: no file", []string{"fleet", "restart"}, ExitUsage, []string{"accepts 1 arg"}, nil},
		{"restart: not a fleet", []string{"fleet", "restart", single}, ExitUsage, []string{"describes no fleet", "sysroll restart hello"}, nil},
		{"restart: no --to", []string{"fleet", "restart", fleet, "--to", "v1"}, ExitUsage, []string{"unknown flag: --to"}, nil},
		{"rollback: bad --to", []string{"fleet", "rollback", fleet, "--to", "a/b"}, ExitUsage, []string{"a/b"}, nil},
		{"rollback: not a fleet", []string{"fleet", "rollback", single}, ExitUsage, []string{"sysroll rollback hello"}, nil},
		{"uninstall: no --yes", []string{"fleet", "uninstall", fleet}, ExitUsage, []string{"stops every instance of hello on web1, web2", "--yes"}, nil},
		{"uninstall: --limit nothing", []string{"fleet", "uninstall", fleet, "--yes", "--limit", "db*"}, ExitUsage, []string{"db*"}, nil},
		{"history: negative count", []string{"fleet", "history", fleet, "-n", "-1"}, ExitUsage, []string{"negative"}, nil},
		{"deploy: resume skips nothing", []string{"fleet", "deploy", fleet, "--resume", "--skip-unreachable"}, ExitUsage, []string{"no --skip-unreachable"}, nil},
		{"restart: unreachable hosts", []string{"fleet", "restart", fleet}, ExitFailed,
			[]string{"refused at connect (nothing was touched on any host)", "web1", "web2"}, nil},
		{"rollback: every host unreachable, skipping leaves nothing", []string{"fleet", "rollback", fleet, "--skip-unreachable"}, ExitFailed,
			[]string{"refused at connect", "web1", "web2"}, nil},
		{"uninstall: unreachable hosts, nothing done", []string{"fleet", "uninstall", fleet, "--yes"}, ExitFailed,
			[]string{"refused at uninstall preflight", "web1", "web2"}, nil},
		{"history: unreachable hosts", []string{"fleet", "history", fleet}, ExitFailed, nil,
			[]string{"web1: UNREACHABLE", "web2: UNREACHABLE", "history incomplete: 2 hosts not read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := run(t, append(tt.args, common...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			for _, w := range tt.stdout {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
				t.Errorf("a stack trace:\n%s", stderr)
			}
		})
	}
	if _, err := os.Stat(state); err == nil {
		t.Errorf("a refused verb wrote to the state directory")
	}
	// --json: the hosts not read are in the document.
	stdout, _, code := run(t, append([]string{"fleet", "history", fleet, "--json"}, common...)...)
	var fh controller.FleetHistory
	if err := json.Unmarshal([]byte(stdout), &fh); err != nil || code != ExitFailed || fh.Schema != controller.FleetHistoryV1 || len(fh.Unreachable) != 2 || fh.Rollouts == nil {
		t.Errorf("history --json: exit %d, %v: %s", code, err, stdout)
	}
}

// An approval gate is refused across a fleet, before any host is reached:
// each host would stop at its own gate with no fleet-wide one to pass.
func TestFleetRefusesGates(t *testing.T) {
	x := newFleetFixture(t)
	file := x.write(t, "gated.yaml", "name: hello\ncommand: \"{release}/app\"\ninstances: [8081, 8082]\n"+
		"rollout:\n  steps: [{batch: 1}, {pause: {}}, {batch: 1}]\n"+
		"hosts:\n  - {name: web1, address: 127.0.0.1, port: 1}\nfleet:\n  hosts: {batch: 1}\n")
	art := x.write(t, "app", "#!/bin/sh\n")
	for _, args := range [][]string{
		{"fleet", "deploy", file, "--artifact", art, "--ssh-config", x.sshConfig},
		{"fleet", "restart", file, "--ssh-config", x.sshConfig},
	} {
		_, stderr, code := run(t, args...)
		if code != ExitUsage || !strings.Contains(stderr, "approval gate") || !strings.Contains(stderr, "timed pause") {
			t.Errorf("%v: exit %d, stderr %s", args, code, stderr)
		}
	}
	inc := x.write(t, "inconclusive.yaml", "name: hello\ncommand: \"{release}/app --port {port}\"\ninstances: [8081, 8082]\n"+
		"analysis:\n  on_inconclusive: pause\n  journal: {max_per_minute: 5}\n"+
		"hosts:\n  - {name: web1, address: 127.0.0.1, port: 1}\nfleet:\n  hosts: {batch: 1}\n")
	_, stderr, code := run(t, "fleet", "deploy", inc, "--artifact", art, "--ssh-config", x.sshConfig)
	if code != ExitUsage || !strings.Contains(stderr, "on_inconclusive: pause") {
		t.Errorf("on_inconclusive: pause across a fleet: exit %d, stderr %s", code, stderr)
	}
}
