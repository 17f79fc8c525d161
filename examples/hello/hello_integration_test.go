//go:build integration

package main_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/testbed"
)

// The example runs as the guide's two instances, on these ports (the
// container shares the host's network).
var ports = []string{"18081", "18082"}

const (
	binDir  = "/opt/hello" // where the built binary is bound inside
	version = "it-1"
	unitTpl = "hello@.service"
)

// TestMain builds the example and boots a container with it bound in.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "sysroll-hello-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "hello"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: build examples/hello: %v\n%s", err, out)
		return 1
	}
	return testbed.Run(m, testbed.Options{
		Name:  "sysroll-hello",
		Binds: []testbed.Bind{{Host: dir, Container: binDir, ReadOnly: true}},
	})
}

// The guide's layout done right: one template unit, two instances, each
// ready (READY=1) before its start job finishes, each restarted alone.
func TestHelloInstances(t *testing.T) {
	c := testbed.Shared(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	m, err := systemd.Connect(ctx, systemd.Options{Address: c.BusAddress()})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	unit := fmt.Sprintf("[Unit]\nDescription=hello %%i\n\n[Service]\nType=notify\nExecStart=%s/hello --port %%i --version %s\n", binDir, version)
	if err := c.WriteFile("/etc/systemd/system/"+unitTpl, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := m.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range ports {
		names = append(names, "hello@"+p+".service")
	}
	t.Cleanup(func() {
		for _, n := range names {
			m.Stop(context.Background(), n)
		}
	})

	for i, n := range names {
		if err := m.Start(ctx, n); err != nil {
			t.Fatalf("start %s: %v\n%s", n, err, journal(c, n))
		}
		// Type=notify: the start job finished on READY=1, so the instance
		// answers now, without retries.
		if code, body := get(t, ports[i], "/healthz"); code != http.StatusOK {
			t.Errorf("%s: GET /healthz right after start = %d %q", n, code, body)
		}
		if code, body := get(t, ports[i], "/"); code != http.StatusOK || !strings.Contains(body, version) || !strings.Contains(body, "instance "+ports[i]) {
			t.Errorf("%s: GET / = %d %q, want 200 naming version %s and instance %s", n, code, body, version, ports[i])
		}
	}

	states, err := m.Units(ctx, "hello@*.service")
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != len(names) {
		t.Fatalf("Units(hello@*) = %+v, want %d instances", states, len(names))
	}
	for _, u := range states {
		if !u.Running() || u.MainPID == 0 {
			t.Errorf("%s: %+v, want running", u.Name, u)
		}
	}

	// Restarting one instance leaves the other alone.
	before, _ := m.Unit(ctx, names[1])
	if err := m.Restart(ctx, names[0]); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, ports[0], "/healthz"); code != http.StatusOK {
		t.Errorf("%s: /healthz right after restart = %d", names[0], code)
	}
	if after, _ := m.Unit(ctx, names[1]); after.InvocationID != before.InvocationID {
		t.Errorf("restarting %s restarted %s too", names[0], names[1])
	}

	for i, n := range names {
		if err := m.Stop(ctx, n); err != nil {
			t.Fatal(err)
		}
		if _, err := http.Get("http://127.0.0.1:" + ports[i] + "/healthz"); err == nil {
			t.Errorf("%s: still answering after stop", n)
		}
	}
}

// A release bad by metrics, configured through the environment as an
// operator would: under real systemd its /metrics is the new process's
// (process_start_time_seconds against ExecMainStartTimestamp) and its <3>
// lines are in the journal at priority err, counted per invocation, while an
// instance without the knobs has none.
func TestHelloMetricsAndJournalErrors(t *testing.T) {
	c := testbed.Shared(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	m, err := systemd.Connect(ctx, systemd.Options{Address: c.BusAddress()})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	const noisy, quiet = "18083", "18084"
	unit := fmt.Sprintf("[Service]\nType=notify\nEnvironmentFile=-/etc/hello-knobs/%%i\nExecStart=%s/hello --port %%i --version %s\n", binDir, version)
	for path, data := range map[string]string{
		"/etc/systemd/system/hello-knobs@.service": unit,
		"/etc/hello-knobs/" + noisy:                "HELLO_ERROR_RATE=0.5\nHELLO_LOG_ERRORS=20/s\n",
	} {
		if err := c.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	name := func(port string) string { return "hello-knobs@" + port + ".service" }
	t.Cleanup(func() {
		m.Stop(context.Background(), name(noisy))
		m.Stop(context.Background(), name(quiet))
	})
	for _, p := range []string{noisy, quiet} {
		if err := m.Start(ctx, name(p)); err != nil {
			t.Fatalf("start %s: %v\n%s", name(p), err, journal(c, name(p)))
		}
	}

	// Probes pass; every 2nd work request is a 500.
	if code, _ := get(t, noisy, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d, want 200 with the knobs", code)
	}
	var codes []int
	for range 4 {
		code, _ := get(t, noisy, "/work?ms=0")
		codes = append(codes, code)
	}
	if fmt.Sprint(codes) != "[200 500 200 500]" {
		t.Errorf("work codes %v, want [200 500 200 500]", codes)
	}
	code, body := get(t, noisy, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics = %d", code)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	byCode := map[string]float64{}
	for _, s := range mfs["hello_requests_total"].GetMetric() {
		byCode[s.GetLabel()[0].GetValue()] = s.GetCounter().GetValue()
	}
	if byCode["200"] != 2 || byCode["500"] != 2 || len(byCode) != 2 {
		t.Errorf("hello_requests_total = %v, want 2 of 200 and 2 of 500", byCode)
	}

	u, err := m.Unit(ctx, name(noisy))
	if err != nil {
		t.Fatal(err)
	}
	if start := mfs["process_start_time_seconds"].GetMetric(); len(start) != 1 {
		t.Errorf("process_start_time_seconds: %d series", len(start))
	} else {
		// The kernel's boot time (btime) has whole seconds, so the
		// process's start time can read up to 1s before systemd's.
		got := time.Unix(0, int64(start[0].GetGauge().GetValue()*1e9))
		d := got.Sub(u.ExecMainStart)
		t.Logf("process_start_time_seconds - ExecMainStartTimestamp = %s", d)
		if d < -time.Second-10*time.Millisecond || d > time.Second {
			t.Errorf("process_start_time_seconds %s, ExecMainStartTimestamp %s: not the same process", got, u.ExecMainStart)
		}
	}

	// 20/s: at least 10 lines within a second or two, at priority err, of
	// exactly this invocation; the "listening" line stays at info.
	var errLines []string
	deadline := time.Now().Add(10 * time.Second)
	for len(errLines) < 10 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		errLines = journalErr(t, c, u.InvocationID)
	}
	if len(errLines) < 10 {
		t.Fatalf("journalctl -p err _SYSTEMD_INVOCATION_ID=%s: %d lines, want 10 or more\n%s", u.InvocationID, len(errLines), journal(c, name(noisy)))
	}
	for _, l := range errLines {
		if !strings.HasPrefix(l, "error on purpose #") {
			t.Errorf("err line %q: want the <3> prefix stripped and nothing else at err", l)
		}
	}
	all, _ := c.Exec(ctx, "journalctl", "--no-pager", "-o", "cat", "_SYSTEMD_INVOCATION_ID="+u.InvocationID)
	if !strings.Contains(string(all), "listening") {
		t.Errorf("the invocation's journal lacks the info line \"listening\":\n%s", all)
	}

	q, err := m.Unit(ctx, name(quiet))
	if err != nil {
		t.Fatal(err)
	}
	if lines := journalErr(t, c, q.InvocationID); len(lines) != 0 {
		t.Errorf("instance without knobs: %d lines at priority err: %q", len(lines), lines)
	}

	// After a restart the new process's lines go to its own invocation:
	// the old one's count stops growing.
	if err := m.Restart(ctx, name(noisy)); err != nil {
		t.Fatal(err)
	}
	u2, err := m.Unit(ctx, name(noisy))
	if err != nil {
		t.Fatal(err)
	}
	oldCount := len(journalErr(t, c, u.InvocationID))
	var newCount int
	for deadline := time.Now().Add(10 * time.Second); newCount < 10 && time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond)
		newCount = len(journalErr(t, c, u2.InvocationID))
	}
	if newCount < 10 {
		t.Errorf("new invocation %s: %d err lines, want 10 or more", u2.InvocationID, newCount)
	}
	if n := len(journalErr(t, c, u.InvocationID)); n != oldCount {
		t.Errorf("old invocation grew from %d to %d err lines after the restart", oldCount, n)
	}
}

// journalErr is the messages at priority err or worse of one invocation.
func journalErr(t *testing.T, c *testbed.Container, invocation string) []string {
	t.Helper()
	out, err := c.Exec(context.Background(), "journalctl", "--no-pager", "-o", "cat", "-p", "err", "_SYSTEMD_INVOCATION_ID="+invocation)
	if err != nil {
		t.Fatalf("journalctl: %v\n%s", err, out)
	}
	s := strings.TrimSpace(string(out))
	if s == "" || s == "-- No entries --" {
		return nil
	}
	return strings.Split(s, "\n")
}

func get(t *testing.T, port, path string) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://127.0.0.1:" + port + path)
	if err != nil {
		t.Errorf("GET :%s%s: %v", port, path, err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// journal is the unit's recent log, to show why it failed.
func journal(c *testbed.Container, unit string) string {
	out, _ := c.Exec(context.Background(), "journalctl", "--no-pager", "-n", "20", "-u", unit)
	return string(out)
}
