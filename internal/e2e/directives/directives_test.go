//go:build integration

package directives

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
)

const workRoot = "/srv/e2e-directives"

// serviceFile is the hello example on one port with extra top-level YAML.
func serviceFile(name string, port int, extra string) string {
	return fmt.Sprintf(`name: %s
command: "{release}/hello --port {port}"
instances: [%d]
health:
  http: {url: "http://127.0.0.1:{port}/healthz", status: 200, body: ok}
  interval: 200ms
  timeout: 200ms
  healthy_for: 1s
  deadline: 30s
%s`, name, port, extra)
}

// write puts a service file and a v1 release in the container.
func write(t *testing.T, name, yaml string) (file, rel string) {
	t.Helper()
	dir := path.Join(workRoot, name)
	t.Cleanup(func() { e2etest.Run(t, "rm", "-rf", dir) })
	file = path.Join(dir, "service.yaml")
	e2etest.WriteFile(t, file, yaml, 0o644)
	return file, e2etest.HelloRelease(t, path.Join(dir, "v1"), "v1")
}

// wantRefused requires that apply exits 2 naming every part of want, and
// that nothing was installed.
func wantRefused(t *testing.T, name, yaml string, want ...string) {
	t.Helper()
	file, rel := write(t, name, yaml)
	r := e2etest.Sysroll(t, "apply", file, "--artifact", rel, "--version", "v1")
	if r.Code != 2 {
		// Installed after all: do not leave it running for the next test.
		t.Cleanup(func() { e2etest.Sysroll(t, "uninstall", name, "--purge") })
		t.Fatalf("apply exit %d, want 2 (bad input): %s", r.Code, r)
	}
	for _, w := range want {
		if !strings.Contains(r.Stderr, w) {
			t.Errorf("apply error lacks %q:\n%s", w, r.Stderr)
		}
	}
	if r := e2etest.Run(t, "test", "-e", "/etc/systemd/system/"+name+"@.service"); r.Code == 0 {
		t.Errorf("a refused service file installed %s@.service", name)
	}
}

// waitHealthy polls status until every instance is healthy.
func waitHealthy(t *testing.T, name string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := e2etest.TryStatus(t, name)
		if err == nil && st.Healthy == len(st.Instances) && len(st.Instances) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not healthy within 30s: %+v %v", name, st, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// The example, on real systemd: ExecStartPre=+cmd runs cmd as root
// outside the sandbox while the instance runs as its dynamic user. Without
// an opt-in sysroll refuses it before installing anything; allowed by
// hardening.allow_raw, it runs, and status (plain and --json) and render
// show the relaxation.
func TestPrivilegedExecStartPre(t *testing.T) {
	const name, port = "e2e-dir-root", 23850
	uidFile := "/run/" + name + ".uid"
	raw := fmt.Sprintf("service: {ExecStartPre: \"+/bin/sh -c 'id -u > %s'\"}\n", uidFile)

	wantRefused(t, name, serviceFile(name, port, raw),
		"service.yaml:10:", "service.ExecStartPre", `"+" in front of a command runs the command as root`, "hardening.allow_raw")

	yaml := serviceFile(name, port, "hardening: {allow_raw: [ExecStartPre]}\n"+raw)
	file, rel := write(t, name, yaml)
	e2etest.InstallService(t, name, file, yaml, rel, "v1")
	waitHealthy(t, name)
	t.Cleanup(func() { e2etest.Run(t, "rm", "-f", uidFile) })

	r := e2etest.Run(t, "cat", uidFile)
	if r.Code != 0 || strings.TrimSpace(r.Stdout) != "0" {
		t.Errorf("ExecStartPre=+ ran as uid %q (%s), want 0: the '+' prefix runs as root", strings.TrimSpace(r.Stdout), r)
	}
	st := e2etest.Status(t, name)
	pid := st.Instances[0].PID
	r = e2etest.Run(t, "grep", "^Uid:", fmt.Sprintf("/proc/%d/status", pid))
	if uid := strings.Join(strings.Fields(r.Stdout)[1:2], ""); uid == "" || uid == "0" {
		t.Errorf("the instance itself runs as uid %q, want its dynamic user: %s", uid, r)
	} else {
		t.Logf("ExecStartPre=+ ran as uid 0; the instance (pid %d) runs as uid %s", pid, uid)
	}

	if len(st.Relaxations) != 1 || st.Relaxations[0].Field != "service.ExecStartPre" || !strings.HasPrefix(st.Relaxations[0].Value, "+/bin/sh") {
		t.Errorf("status --json relaxations = %+v, want the ExecStartPre", st.Relaxations)
	}
	plain := e2etest.MustSysroll(t, "status", name).Stdout
	if !strings.Contains(plain, "relaxed sandbox") || !strings.Contains(plain, "service.ExecStartPre: +/bin/sh") {
		t.Errorf("plain status does not show the relaxation:\n%s", plain)
	}
	unit := e2etest.Run(t, "cat", "/etc/systemd/system/"+name+"@.service").Stdout
	if !strings.Contains(unit, "#   service.ExecStartPre: +/bin/sh") {
		t.Errorf("the installed unit does not list the relaxation:\n%s", unit)
	}
}

// A typo systemd would silently ignore, a dynamic user given /etc/shadow,
// and a Requires= between instances are refused by apply, each at its field.
func TestRefusedDirectives(t *testing.T) {
	tests := []struct {
		name, extra string
		want        []string
	}{
		{"e2e-dir-typo", "service: {MemoryMaxx: 64M}\n",
			[]string{"service.MemoryMaxx", "not a [Service] key of systemd", "did you mean MemoryMax?"}},
		{"e2e-dir-shadow", "service: {SupplementaryGroups: shadow, BindReadOnlyPaths: /etc/shadow}\n",
			[]string{"service.SupplementaryGroups", "service.BindReadOnlyPaths", "weakens the sandbox"}},
		{"e2e-dir-requires", "unit: {Requires: e2e-dir-requires@23899.service}\n",
			[]string{"unit.Requires", "in the same transaction", "instance-dependency"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantRefused(t, tt.name, serviceFile(tt.name, 23860+i, tt.extra), tt.want...)
		})
	}
}

// The config package's bad files for raw directives (service "hello", whose
// instances never start: each is refused) through the real binary.
func TestBadDirectiveFiles(t *testing.T) {
	files, err := filepath.Glob("../../config/testdata/bad/directive-*.yaml")
	if err != nil || len(files) < 10 {
		t.Fatalf("bad directive files: %v, %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(string(b), "\n")
			want, ok := strings.CutPrefix(first, "# want: ")
			if !ok {
				t.Fatalf("first line %q is not \"# want: ...\"", first)
			}
			wantRefused(t, "hello", string(b), want)
		})
	}
}
