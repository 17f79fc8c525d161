//go:build integration

package input

import (
	"fmt"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
)

const workRoot = "/srv/e2e-input"

// wantRefused runs sysroll with args and requires exit 2 within a few
// seconds, every want in stderr, and no sign of a Go runtime error.
func wantRefused(t *testing.T, args []string, want ...string) {
	t.Helper()
	start := time.Now()
	r := e2etest.Sysroll(t, args...)
	took := time.Since(start)
	if r.Code != 2 {
		t.Errorf("sysroll %s: exit %d, want 2: %s", strings.Join(args, " "), r.Code, r)
	}
	for _, w := range want {
		if !strings.Contains(r.Stderr, w) {
			t.Errorf("sysroll %s: stderr lacks %q:\n%s", strings.Join(args, " "), w, r.Stderr)
		}
	}
	for _, bad := range []string{"runtime:", "goroutine ", "fatal error", "internal error", "panic"} {
		if strings.Contains(r.Stderr, bad) {
			t.Errorf("sysroll %s: stderr has %q:\n%s", strings.Join(args, " "), bad, r.Stderr)
		}
	}
	if took > 20*time.Second {
		t.Errorf("sysroll %s took %v", strings.Join(args, " "), took)
	}
}

// TestNotAFile: render, apply and lint refuse a FIFO, /dev/zero and a
// directory at once (a FIFO used to block, /dev/zero to be read to the end
// of memory), and lint refuses a directory without unit files instead of
// saying "no findings".
func TestNotAFile(t *testing.T) {
	dir := path.Join(workRoot, "notafile")
	t.Cleanup(func() { e2etest.Run(t, "rm", "-rf", dir) })
	e2etest.Run(t, "mkdir", "-p", dir+"/empty")
	fifo := dir + "/pipe.yaml"
	if r := e2etest.Run(t, "mkfifo", fifo); r.Code != 0 {
		t.Fatalf("mkfifo: %s", r)
	}
	unitFifo := dir + "/pipe.service"
	if r := e2etest.Run(t, "mkfifo", unitFifo); r.Code != 0 {
		t.Fatalf("mkfifo: %s", r)
	}
	for _, verb := range []string{"render", "apply"} {
		wantRefused(t, []string{verb, fifo}, fifo+": not a regular file (a named pipe)")
		wantRefused(t, []string{verb, "/dev/zero"}, "/dev/zero: not a regular file (a character device)")
		wantRefused(t, []string{verb, dir}, dir+": not a regular file (a directory)")
	}
	wantRefused(t, []string{"lint", "/dev/zero"}, "/dev/zero: not a regular file (a character device)", "at most 1 MiB")
	wantRefused(t, []string{"lint", unitFifo}, unitFifo+": not a regular file (a named pipe)")
	wantRefused(t, []string{"lint", dir + "/empty"}, "lint "+dir+"/empty: no unit files in this directory")
}

// TestYAMLBombs: inputs that exhausted memory in go-yaml's parser (a Go
// runtime fatal error) are refused before parsing, naming file:line:col
// and the limit.
func TestYAMLBombs(t *testing.T) {
	dir := path.Join(workRoot, "bombs")
	t.Cleanup(func() { e2etest.Run(t, "rm", "-rf", dir) })
	keys := func(n int) string {
		var b strings.Builder
		b.WriteString("name: e2e-bomb\nenvironment:\n")
		for i := range n {
			fmt.Fprintf(&b, "  K%d: %s\n", i, strings.Repeat("v", 90))
		}
		return b.String()
	}
	for _, tc := range []struct {
		name, content, want string
	}{
		{"flow-50k", strings.Repeat("[", 50000), ":1:65: YAML nesting deeper than 64 levels"},
		{"flow-map", strings.Repeat("{a: ", 12000), ":1:257: YAML nesting deeper than 64 levels"},
		{"compact-seq", strings.Repeat("- ", 10000), ":1:129: YAML nesting deeper than 64 levels"},
		{"flat-1mib", "[" + strings.Repeat(strings.Repeat("1,", 30000)+"\n", 16) + "]", ":1:50001: too many YAML tokens"},
		{"keys-3300", keys(3300), ":1003:3: more than 1000 entries in one mapping or list"},
		{"lines", strings.Repeat("a: 1\n", 200000), ":10001:1: more than 10000 lines"},
		{"utf8", "name: e2e-bomb\ndescription: caf\xe9\n", ":2:17: invalid UTF-8 (byte 0xe9 at byte offset 31)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := path.Join(dir, tc.name+".yaml")
			e2etest.WriteFile(t, file, tc.content, 0o644)
			for _, verb := range []string{"render", "apply"} {
				wantRefused(t, []string{verb, file}, file+tc.want)
			}
		})
	}
}

// TestDurationsReachSystemd: the durations a service file may hold reach
// systemd as the values they say (systemd counts in microseconds; 0 means
// "no timeout" for TimeoutStopSec=), and one that would not is refused.
func TestDurationsReachSystemd(t *testing.T) {
	const name, port = "e2e-durations", 23800
	dir := path.Join(workRoot, name)
	t.Cleanup(func() { e2etest.Run(t, "rm", "-rf", dir) })
	yaml := func(extra string) string {
		return fmt.Sprintf(`name: %s
command: "{release}/hello --port {port}"
instances: [%d]
health:
  http: {url: "http://127.0.0.1:{port}/healthz"}
  interval: 200ms
  timeout: 200ms
  healthy_for: 1s
  deadline: 2500ms
%s`, name, port, extra)
	}
	file := path.Join(dir, "service.yaml")
	rel := e2etest.HelloRelease(t, path.Join(dir, "release"), "v1")
	e2etest.InstallService(t, name, file, yaml("stop_timeout: 1500us\nrestart_sec: 0s\n"), rel, "v1")
	unit := fmt.Sprintf("%s@%d.service", name, port)
	props := e2etest.UnitProps(t, []string{unit}, "TimeoutStopUSec", "RestartUSec", "TimeoutStartUSec")[unit]
	// (UnitProps asks for microsecond timestamps, so systemd 252 writes
	// seconds with six decimals.)
	for k, want := range map[string]string{"TimeoutStopUSec": "1.500ms", "RestartUSec": "0", "TimeoutStartUSec": "2.500000s"} {
		if props[k] != want {
			t.Errorf("%s %s = %q, want %q (all: %v)", unit, k, props[k], want, props)
		}
	}
	// Below systemd's resolution: rendered as 0, "no timeout". Refused, and
	// the installed unit keeps its value.
	for _, tc := range []struct{ extra, want string }{
		{"stop_timeout: 1ns\n", "stop_timeout: 1ns is not a whole number of microseconds, systemd's resolution: it would become 0s in the unit file"},
		{"stop_timeout: 1500ns\n", "it would become 1µs in the unit file"},
		{"restart_sec: 999ns\n", "restart_sec: 999ns is not a whole number of microseconds"},
		{"stop_timeout: 0s\n", "stop_timeout: 0s is not allowed: use at least 1ms"},
		{"stop_timeout: 9999999h\n", `stop_timeout: "9999999h" is out of range`},
	} {
		e2etest.WriteFile(t, file, yaml(tc.extra), 0o644)
		wantRefused(t, []string{"apply", file}, tc.want)
	}
	if got := e2etest.UnitProps(t, []string{unit}, "TimeoutStopUSec")[unit]["TimeoutStopUSec"]; got != "1.500ms" {
		t.Errorf("after the refused applies, TimeoutStopUSec = %q, want 1.500ms", got)
	}
}
