package cli

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/fleet/controller"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
)

var updateGolden = flag.Bool("update-fleet-golden", false, "rewrite testdata/fleet-status*.txt")

// TestFleetStatusCLI: usage errors exit 2; unreachable hosts (loopback
// port 1: refused at once) are shown, not fatal, and exit 1; fleet apply
// refuses before changing any host.
func TestFleetStatusCLI(t *testing.T) {
	x := newFleetFixture(t)
	fleet, single, sshConfig := x.fleet, x.single, x.sshConfig
	common := []string{"--ssh-config", sshConfig}
	tests := []struct {
		name         string
		args         []string
		code         int
		stdout, errs []string
	}{
		{"status: not a fleet", []string{"fleet", "status", single}, ExitUsage, nil, []string{"describes no fleet"}},
		{"status: limit matching nothing", []string{"fleet", "status", fleet, "--limit", "db*"}, ExitUsage, nil, []string{"db*"}},
		{"status: unreachable", []string{"fleet", "status", fleet}, ExitFailed,
			[]string{"web1  -", "web1: UNREACHABLE", "web2: UNREACHABLE", "  unreachable: ", "hello: 2 hosts: 2 of 2 hosts not well"}, nil},
		{"status: unreachable, json", []string{"fleet", "status", fleet, "--json", "--limit", "web2"}, ExitFailed,
			[]string{`"schema":"sysroll.fleet-status/v1"`, `"host":"web2"`, `"reachable":false`}, nil},
		{"apply: version without artifact", []string{"fleet", "apply", fleet, "--version", "v1"}, ExitUsage, nil, []string{"--artifact"}},
		{"apply: unreachable", []string{"fleet", "apply", fleet}, ExitFailed, nil,
			[]string{"refused at connect (nothing was touched on any host)", "web1", "web2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			stdout, stderr, code := run(t, append(tt.args, common...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("took %s", took)
			}
			for _, w := range tt.stdout {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			for _, w := range tt.errs {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if strings.Contains(strings.Join(tt.args, " "), "--json") {
				var doc controller.FleetStatus
				if err := json.Unmarshal([]byte(stdout), &doc); err != nil || len(doc.Hosts) != 1 {
					t.Errorf("not one document (%v): %s", err, stdout)
				}
			}
		})
	}
}

// TestPrintFleetStatus: the table and findings, against a golden file.
func TestPrintFleetStatus(t *testing.T) {
	u1, u2 := strings.Repeat("1", 64), strings.Repeat("2", 64)
	st := func(version, u string, pids ...uint32) *schema.Status {
		s := &schema.Status{Service: "hello", UnitSHA256: u, Releases: map[string]int{}}
		for i, p := range pids {
			n := string(rune('a' + i))
			s.Instances = append(s.Instances, schema.InstanceStatus{Instance: n, Unit: "hello@" + n + ".service", Release: version, Health: schema.Healthy, PID: p, Restarts: uint32(i)})
			s.Releases[version]++
			s.Healthy++
		}
		return s
	}
	h2 := st("v1", u2, 201, 0)
	h2.Instances[1].Health, h2.Healthy = schema.Down, 1
	h2.Interrupted = &release.Record{ID: "r9"}
	skew := func(f float64) *float64 { return &f }
	fs := controller.Assess("hello", []controller.HostStatus{
		{Host: "h1", Reachable: true, Status: st("v2", u1, 101, 102), ClockSkewSec: skew(0.004)},
		{Host: "h2", Reachable: true, Status: h2, ClockSkewSec: skew(-2.5)},
		{Host: "h3", Error: "h3: dial tcp 10.0.0.3:22: i/o timeout"},
	}, time.Second)
	var b strings.Builder
	printFleetStatus(&b, fs)
	golden := filepath.Join("testdata", "fleet-status.txt")
	if *updateGolden {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}
