package unitfile

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// maxExposure is the highest `systemd-analyze security` score a rendered
// instance may have. maxUserExposure is for user mode, which the tool scores as
// "runs as root" (+0.4: it cannot see which user the manager runs as) and where
// ProtectProc=, ProcSubset=, ProtectControlGroups= do not exist.
const (
	maxExposure     = 2.0
	maxUserExposure = 2.5
)

// TestSystemdAnalyze checks every rendered case with systemd's own tools, with
// no systemd running: `systemd-analyze verify` must print nothing at all (it
// only warns, exit 0, about lines it ignores), and `systemd-analyze security
// --offline=yes` must rate an instance at most maxExposure.
//
// verify refuses an ExecStart= binary that does not exist, so the units are
// rendered with the state directory in a temp dir where each instance's release
// link holds a stub executable.
func TestSystemdAnalyze(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (Debian: package systemd); cannot verify units")
	}
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			svc := loadCase(t, c.yamlName())
			dir := t.TempDir()
			p := c.paths
			p.StateDir, p.UnitDir = filepath.Join(dir, "state"), filepath.Join(dir, "units")
			if p.Sysroll != "" {
				// The agent units' ExecStart must exist too: this test binary.
				if p.Sysroll, err = os.Executable(); err != nil {
					t.Fatal(err)
				}
			}
			files, err := Render(svc, p)
			if err != nil {
				t.Fatal(err)
			}
			mustMkdir(t, p.UnitDir)
			for _, f := range files {
				if err := os.WriteFile(f.Path, []byte(f.Content), f.Mode); err != nil {
					t.Fatal(err)
				}
			}
			tmpl, _ := files.Get(TemplateUnit(svc.Name))
			var units []string
			for _, inst := range svc.InstanceNames() {
				stubRelease(t, tmpl.Content, inst)
				units = append(units, filepath.Join(p.UnitDir, InstanceUnit(svc.Name, inst)))
			}
			for _, f := range files[1:] {
				units = append(units, f.Path)
			}

			var global []string
			env := os.Environ()
			if p.User {
				// A user-mode analyze needs a runtime dir, not a running user manager.
				global = append(global, "--user")
				env = append(env, "XDG_RUNTIME_DIR="+t.TempDir())
			}
			out, err := run(analyze, env, append(global, append([]string{"verify"}, units...)...)...)
			if err != nil || out != "" {
				t.Errorf("systemd-analyze verify: %v\n%s", err, out)
			}
			t.Logf("systemd-analyze verify %d units: no output", len(units))

			limit := maxExposure
			if p.User {
				limit = maxUserExposure
			}
			threshold := "--threshold=" + strconv.Itoa(int(limit*10)) // exit status 1 above it
			out, err = run(analyze, env, append(global, "security", "--offline=yes", threshold, units[0])...)
			score, verdict := exposure(out)
			if err != nil || score < 0 || score > limit {
				t.Errorf("systemd-analyze security: %v, exposure %.1f %s (want <= %.1f)\n%s", err, score, verdict, limit, out)
			}
			t.Logf("systemd-analyze security %s: %.1f %s", filepath.Base(units[0]), score, verdict)
			if svc.Rollout.HAProxyAgent != nil {
				agent := filepath.Join(p.UnitDir, strings.Replace(AgentTemplate(svc.Name), "@.", "@1-10.0.0.11:9700-10.0.0.2:40000.", 1))
				if err := os.Symlink(AgentTemplate(svc.Name), agent); err != nil {
					t.Fatal(err)
				}
				out, err = run(analyze, env, append(global, "security", "--offline=yes", threshold, agent)...)
				score, verdict := exposure(out)
				if err != nil || score < 0 || score > limit {
					t.Errorf("systemd-analyze security of the agent: %v, exposure %.1f %s (want <= %.1f)\n%s", err, score, verdict, limit, out)
				}
				t.Logf("systemd-analyze security %s: %.1f %s", filepath.Base(agent), score, verdict)
			}
		})
	}
}

// The harness itself catches a warning: the guide's "RestartSec=2  # Delay".
func TestSystemdAnalyzeCatchesWarnings(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	dir := t.TempDir()
	unit := filepath.Join(dir, "bad.service")
	content := "[Service]\nExecStart=/bin/true\nRestartSec=2  # Delay before restart\n"
	if err := os.WriteFile(unit, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := run(analyze, os.Environ(), "verify", unit)
	if !strings.Contains(out, "bad.service:3: Failed to parse sec value") {
		t.Errorf("verify did not warn about the trailing comment on line 3; output: %q", out)
	}
}

// stubRelease creates the executable an instance's ExecStart= names.
func stubRelease(t *testing.T, template, instance string) {
	t.Helper()
	var argv0, wd string
	for _, line := range strings.Split(template, "\n") {
		if v, ok := strings.CutPrefix(line, "ExecStart="); ok {
			argv0, _, _ = strings.Cut(v, " ")
		}
		if v, ok := strings.CutPrefix(line, "WorkingDirectory="); ok {
			wd = v
		}
	}
	argv0 = strings.ReplaceAll(argv0, "%i", instance)
	mustMkdir(t, filepath.Dir(argv0))
	if wd != "" {
		mustMkdir(t, strings.ReplaceAll(wd, "%i", instance))
	}
	if err := os.WriteFile(argv0, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

func mustMkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

// run runs systemd-analyze and returns its stdout and stderr together.
func run(bin string, env []string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

var exposureRe = regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+) (\S+)`)

// exposure parses the overall score of `systemd-analyze security`, -1 if absent.
func exposure(out string) (float64, string) {
	m := exposureRe.FindStringSubmatch(out)
	if m == nil {
		return -1, ""
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return -1, ""
	}
	return f, m[2]
}
