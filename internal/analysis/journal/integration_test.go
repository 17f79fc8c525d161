//go:build integration

package journal

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/analysis"
	"github.com/sysroll/sysroll/internal/testbed"
)

func TestMain(m *testing.M) {
	testbed.Main(m, testbed.Options{Name: "sysroll-journal"})
}

// inContainer runs journalctl inside the test's container.
type inContainer struct{ c *testbed.Container }

func (r inContainer) Journalctl(ctx context.Context, args []string) ([]byte, error) {
	return r.c.Exec(ctx, append([]string{"journalctl"}, args...)...)
}

// start runs sh -c script as a transient unit of the container's systemd
// and returns its InvocationID.
func start(t *testing.T, c *testbed.Container, unit string, script string, props ...string) string {
	t.Helper()
	ctx := context.Background()
	args := []string{"systemd-run", "--quiet", "--unit=" + unit}
	for _, p := range props {
		args = append(args, "-p", p)
	}
	if _, err := c.Exec(ctx, append(args, "sh", "-c", script)...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = c.Exec(context.Background(), "systemctl", "stop", unit) })
	out, err := c.Exec(ctx, "systemctl", "show", "-p", "InvocationID", "--value", unit)
	if err != nil || len(strings.TrimSpace(string(out))) != 32 {
		t.Fatalf("InvocationID of %s: %q, %v", unit, out, err)
	}
	return strings.TrimSpace(string(out))
}

// A canary logging "<3>" lines at ten times the baseline's rate fails,
// against two baseline units of the same service over the same window, on
// a real journald; then a flood journald rate-limits fails as rate-limited.
func TestRealJournal(t *testing.T) {
	c := testbed.Shared(t)
	p := &Provider{R: inContainer{c}}
	since := time.Now()
	// 10 errors a second from the canary for 6 s, 1 a second from each
	// baseline unit for 20 s; info lines in between must not count.
	canary := start(t, c, "jhello@8081.service", `for i in $(seq 1 60); do echo "<3>canary error $i"; echo "info $i"; sleep 0.1; done; sleep 60`)
	start(t, c, "jhello@8082.service", `for i in $(seq 1 20); do echo "<3>baseline error $i"; echo "info"; sleep 1; done; sleep 60`)
	start(t, c, "jhello@8083.service", `for i in $(seq 1 20); do echo "<3>baseline error $i"; sleep 1; done; sleep 60`)
	time.Sleep(7 * time.Second)
	w := Window{Since: since, Until: time.Now()}

	cm := p.Canary(context.Background(), []string{canary}, w)
	bm := p.Baseline(context.Background(), []string{"jhello@8082.service", "jhello@8083.service"}, w)
	if cm.Counts == nil || bm.Counts == nil {
		t.Fatalf("canary %+v (%v %v), baseline %+v (%v %v)", cm, cm.Problem, cm.Err, bm, bm.Problem, bm.Err)
	}
	// The baseline units log once a second: 6 to 8 lines each in about 7 s (fewer on a loaded machine).
	if cm.Counts.Events != 60 || bm.Counts.Events < 10 || bm.Counts.Events > 18 {
		t.Errorf("counted %g canary and %g baseline errors, want 60 and 10-18", cm.Counts.Events, bm.Counts.Events)
	}
	m := analysis.JournalOptions{VsBaseline: &analysis.VsBaseline{MaxRatio: 2, Confidence: 0.99}}.JournalMetric()
	v := analysis.Judge(m, cm, &bm)
	if v.Outcome != analysis.Fail || !(v.P < 0.01) {
		t.Errorf("%s: %s", v.Outcome, v.Reason)
	}
	t.Logf("%s: %s", v.Outcome, v.Reason)

	// A canary at the baseline's own rate passes.
	since2 := time.Now()
	ordinary := start(t, c, "jhello@8084.service", `for i in $(seq 1 6); do echo "<3>e $i"; sleep 1; done; sleep 60`)
	time.Sleep(7 * time.Second)
	w2 := Window{Since: since2, Until: time.Now()}
	cm2 := p.Canary(context.Background(), []string{ordinary}, w2)
	bm2 := p.Baseline(context.Background(), []string{"jhello@8082.service", "jhello@8083.service"}, w2)
	if v := analysis.Judge(m, cm2, &bm2); v.Outcome != analysis.Pass {
		t.Errorf("an ordinary canary: %s: %s", v.Outcome, v.Reason)
	} else {
		t.Logf("%s: %s", v.Outcome, v.Reason)
	}

	// A flood: burst 5 per second, then one line after the interval so
	// journald writes its "Suppressed" entry.
	fsince := time.Now()
	flood := start(t, c, "jflood@1.service", `for i in $(seq 1 200); do echo "<3>flood $i"; done; sleep 1.5; echo "<3>after"; sleep 60`,
		"LogRateLimitIntervalSec=1s", "LogRateLimitBurst=5")
	var fm analysis.Measurement
	deadline := time.Now().Add(10 * time.Second)
	for {
		fm = p.Canary(context.Background(), []string{flood}, Window{Since: fsince, Until: time.Now()})
		if fm.Problem != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if fm.Problem == nil || fm.Problem.Cause != analysis.Suppressed || !strings.Contains(fm.Problem.Detail, "jflood@1.service") {
		t.Fatalf("flood: %+v (problem %+v, err %v), want rate-limited", fm, fm.Problem, fm.Err)
	}
	t.Logf("flood: %s", fm.Problem)
}
