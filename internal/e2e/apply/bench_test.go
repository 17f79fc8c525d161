//go:build integration

package apply

import (
	"encoding/json"
	"path"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/schema"
)

// BenchmarkStatus100 times `sysroll status NAME --json` for a service of 100
// running instances (ports 19300-19399), run inside the container like a
// user would. The "version" and "exec" sub-benchmarks are the costs of
// starting sysroll at all and of running any command there (nsenter). The apply of the 100 instances is timed once
// and logged.
//
//	go test -tags integration -run '^$' -bench Status100 -benchtime 20x ./e2e/apply/
func BenchmarkStatus100(b *testing.B) {
	s := service{name: "e2e-bench"}
	file := path.Join(workRoot, s.name, "service.yaml")
	e2etest.WriteFile(b, file, benchYAML, 0o644)
	rel := s.release(b, "v1")
	b.Cleanup(func() { s.uninstall(b) })

	start := time.Now()
	e2etest.MustSysroll(b, "apply", file, "--artifact", rel, "--version", "v1")
	b.Logf("apply of 100 instances took %s", time.Since(start).Round(time.Millisecond))

	st := status(b, s.name)
	if len(st.Instances) != 100 || st.Running != 100 || st.Healthy != 100 {
		b.Fatalf("after apply: %d instances, %d running, %d healthy", len(st.Instances), st.Running, st.Healthy)
	}
	// A second apply of 100 running instances has nothing to do.
	start = time.Now()
	e2etest.MustSysroll(b, "apply", file)
	b.Logf("re-apply (no changes) of 100 instances took %s", time.Since(start).Round(time.Millisecond))

	for _, bc := range []struct {
		name string
		argv []string
	}{
		{"json", []string{e2etest.BinDir + "/sysroll", "status", s.name, "--json"}},
		{"no-probe", []string{e2etest.BinDir + "/sysroll", "status", s.name, "--json", "--no-probe"}},
		{"table", []string{e2etest.BinDir + "/sysroll", "status", s.name}},
		// Baselines: starting sysroll at all, and running anything inside.
		{"version", []string{e2etest.BinDir + "/sysroll", "version"}},
		{"exec", []string{"true"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				r := e2etest.Run(b, bc.argv...)
				if r.Code != 0 {
					b.Fatal(r)
				}
				if bc.name == "json" {
					var st schema.Status
					if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil || st.Running != 100 {
						b.Fatalf("status: %v, %d running", err, st.Running)
					}
				}
			}
		})
	}
}

const benchYAML = `name: e2e-bench
command: "{release}/hello --port {port}"
instances: {count: 100, first_port: 19300}
health:
  http: {url: "http://127.0.0.1:{port}/healthz", status: 200, body: ok}
  interval: 200ms
  timeout: 200ms
  healthy_for: 1s
  deadline: 30s
`
