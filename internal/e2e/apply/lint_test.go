//go:build integration

package apply

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// guideDir holds the guide's three unit files, byte for byte as in
// ../shared/seed/units (lint's own tests use the same copy).
const guideDir = "../../lint/testdata/guide"

type finding struct {
	Path     string `json:"path"`
	Line     int    `json:"line"`
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Fix      string `json:"fix"`
}

// TestLintGuideFiles: lint, with the container's real systemd-analyze,
// finds the guide's mistakes, each at its file and line, and exits 1.
func TestLintGuideFiles(t *testing.T) {
	dir := path.Join(workRoot, "lint-guide")
	names := []string{"my-service-1.service", "my-service-2.service", "my-service-group.service"}
	var paths []string
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(guideDir, n))
		if err != nil {
			t.Fatal(err)
		}
		p := path.Join(dir, n)
		e2etest.WriteFile(t, p, string(b), 0o644)
		paths = append(paths, p)
	}
	t.Cleanup(func() { e2etest.Run(t, "rm", "-rf", dir) })

	r := e2etest.Sysroll(t, append([]string{"lint", "--json"}, paths...)...)
	if r.Code != 1 {
		t.Fatalf("lint --json on the guide's files: %s", r)
	}
	var fs []finding
	if err := json.Unmarshal([]byte(r.Stdout), &fs); err != nil {
		t.Fatalf("lint --json does not parse: %v\n%s", err, r.Stdout)
	}
	have := map[string]bool{}
	for _, f := range fs {
		have[fmt.Sprintf("%s:%d %s", path.Base(f.Path), f.Line, f.Rule)] = true
		have[fmt.Sprintf("%s %s", path.Base(f.Path), f.Rule)] = true
		if f.Message == "" {
			t.Errorf("finding without a message: %+v", f)
		}
	}
	for _, want := range []string{
		"my-service-1.service:10 inline-comment",
		"my-service-1.service:10 restart-sec-fallback",
		"my-service-1.service:4 network-target",
		"my-service-2.service:4 instance-dependency",
		"my-service-group.service:5 wrong-section",
		"my-service-group.service:5 partof-direction",
		"my-service-group.service no-exec-start",
	} {
		if !have[want] {
			t.Errorf("lint did not report %s", want)
		}
	}
	// systemd-analyze ran inside (it is installed there) and agrees.
	if !strings.Contains(r.Stdout, "Failed to parse sec value") {
		t.Errorf("lint did not attach systemd-analyze's own line:\n%s", r.Stdout)
	}

	// The same in text: file:line: rule (severity).
	r = e2etest.Sysroll(t, append([]string{"lint"}, paths...)...)
	if r.Code != 1 {
		t.Fatalf("lint on the guide's files: %s", r)
	}
	for _, want := range []string{
		dir + "/my-service-1.service:10: inline-comment (",
		dir + "/my-service-2.service:4: instance-dependency (",
		dir + "/my-service-group.service:5: wrong-section (",
		dir + "/my-service-group.service:5: partof-direction (",
		"no-exec-start (",
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("lint output lacks %q:\n%s", want, r.Stdout)
		}
	}
	t.Logf("sysroll lint on the guide's files (exit %d):\n%s", r.Code, r.Stdout)

	// A directory means every unit file in it.
	if r := e2etest.Sysroll(t, "lint", dir); r.Code != 1 || !strings.Contains(r.Stdout, "inline-comment") {
		t.Errorf("lint DIR: %s", r)
	}
}

// TestLintRenderedUnits: what sysroll renders passes its own lint, including
// systemd-analyze verify, with no finding at all.
func TestLintRenderedUnits(t *testing.T) {
	for _, tc := range []struct {
		name, extra, probe string
	}{
		{"e2e-lint", "", ""},
		{"e2e-lint-sock", "listen: 127.0.0.1:19081\n", "http://127.0.0.1:19081/healthz"},
		{"e2e-lint-user", "user: e2e\ngroup: e2e\nenvironment: {A: \"b c\"}\nrollout: {batch: 50%}\n", ""},
		{"e2e-lint-relaxed", "user: e2e\nhardening: {memory_deny_write_execute: false, protect_system: full, capabilities: [CAP_NET_BIND_SERVICE]}\nservice: {MemoryMax: 512M}\nunit: {After: [postgresql.service]}\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := service{name: tc.name, ports: []int{19080}, extra: tc.extra, probe: tc.probe}
			out := path.Join(workRoot, s.name, "units")
			t.Cleanup(func() { e2etest.Run(t, "rm", "-rf", path.Join(workRoot, s.name)) })
			r := e2etest.MustSysroll(t, "render", s.write(t), "--output-dir", out)
			if !strings.Contains(r.Stdout, "wrote "+out+"/"+s.name+"@.service") {
				t.Errorf("render --output-dir says:\n%s", r.Stdout)
			}
			files := strings.Fields(must(t, "ls", out))
			if len(files) < 2 {
				t.Fatalf("render wrote %v", files)
			}
			r = e2etest.Sysroll(t, "lint", "--json", out)
			var fs []finding
			if err := json.Unmarshal([]byte(r.Stdout), &fs); r.Code != 0 || err != nil {
				t.Fatalf("lint on sysroll's own units (%v): %v: %s", files, err, r)
			}
			// The one note allowed: the template, instantiated by verify as
			// NAME@i, runs a release that is not installed here (render
			// installs nothing); it is info, not a finding against the unit.
			for _, f := range fs {
				if f.Severity == "info" && f.Rule == "systemd-analyze" && strings.Contains(f.Message, "/instances/i/current/hello is not executable") {
					continue
				}
				t.Errorf("lint finds in sysroll's own units: %+v", f)
			}
			// Nothing was installed by render.
			if exists(t, path.Join(unitDir, s.name+"@.service")) || exists(t, path.Join(stateRoot, s.name)) {
				t.Error("render installed something")
			}
		})
	}
}
