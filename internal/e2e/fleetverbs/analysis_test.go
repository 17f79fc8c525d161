//go:build integration

package fleetverbs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// smoke is the exec metric's command on every host: it fails, naming the
// answer, unless each address of its argument answers /work with 200.
const smoke = `#!/bin/sh
for addr in $(echo "$1" | tr ',' ' '); do
  code=$(/usr/bin/curl -s -o /dev/null -w '%{http_code}' "http://$addr/work")
  [ "$code" = 200 ] || { echo "GET http://$addr/work: $code"; exit 1; }
done
`

// TestFleetAnalysisPerHost: each host's own step runs the service's
// rollout.steps and analysis. v2 answers every work request 500 on h2 only
// (its probes pass): h1 rolls fully, h2's canary is caught by its analysis
// and rolled back, the fleet stops there, h3 is never touched.
func TestFleetAnalysisPerHost(t *testing.T) {
	const name = "fv-an"
	ports := []int{25521, 25522}
	yaml := strings.Replace(e2etest.HelloYAML(name, ports, time.Second, ""), "rollout:\n  batch: 1\n",
		"rollout:\n  steps: [{batch: 1}, {pause: 2s}, {batch: \"100%\"}]\n", 1) +
		"analysis:\n  initial_delay: 1s\n  interval: 1s\n  count: 2\n  metrics:\n" +
		"    - name: smoke\n      exec: [\"/srv/fverb/fv-an/smoke\", \"{instance_addrs}\"]\n      timeout: 5s\n"
	f := e2etest.SharedFleet(t)
	for _, h := range f.Hosts() {
		if err := h.Container().WriteFile("/srv/fverb/"+name+"/smoke", []byte(smoke), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s := newServiceWith(t, name, yaml, ports...)
	h2 := f.Host("h2")
	h2.MustExec(t, "touch", "/etc/fv-an-bad")
	t.Cleanup(func() { h2.MustExec(t, "rm", "-f", "/etc/fv-an-bad") })
	// v2: healthy everywhere, but 500 on every work request on h2.
	d := filepath.Join(s.local, "releases", "v2")
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("#!/bin/sh\n[ -e /etc/fv-an-bad ] && exec %s/hello --version v2 --error-rate 1.0 \"$@\"\nexec %s/hello --version v2 \"$@\"\n", e2etest.BinDir, e2etest.BinDir)
	if err := os.WriteFile(filepath.Join(d, "hello"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	before, _ := s.snapshot()
	r := s.controller("", "fleet", "deploy", s.file(), "--artifact", d, "--version", "v2", "--json")
	if r.Code != 1 {
		t.Fatalf("fleet deploy exited %d, want 1 (h2's analysis failed): %s", r.Code, r)
	}
	lines, sum := parse(t, r.Stdout)
	if got := results(sum); !strings.HasPrefix(got, "h1=succeeded h2=rolled-back") || strings.Contains(got, "h3=succeeded") {
		t.Errorf("summary %s", got)
	}
	var verdicts []string
	for _, l := range lines {
		if l.Type == "analysis-verdict" {
			verdicts = append(verdicts, l.Host+": "+l.Message)
		}
	}
	if len(verdicts) < 2 || !strings.Contains(strings.Join(verdicts, "\n"), "h2: batch 1 analysis failed") {
		t.Errorf("the hosts' analysis verdicts:\n%s", strings.Join(verdicts, "\n"))
	}
	t.Logf("analysis verdicts:\n%s", strings.Join(verdicts, "\n"))
	after, rels := s.snapshot()
	want := map[string]string{"h1": s.want("v2"), "h2": s.want("v1"), "h3": s.want("v1")}
	for n, w := range want {
		if rels[n] != w {
			t.Errorf("%s: %s, want %s", n, rels[n], w)
		}
	}
	if strings.Join(after["h3"], ",") != strings.Join(before["h3"], ",") {
		t.Errorf("h3 was touched: %v -> %v", before["h3"], after["h3"])
	}
}
