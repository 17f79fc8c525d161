//go:build integration

package zerodowntime

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/traffic"
)

// socketState is what systemd says about NAME.socket: its InvocationID and
// when it last became active. A restart of the socket changes both.
func socketState(t testing.TB, name string) map[string]string {
	t.Helper()
	unit := name + ".socket"
	p := e2etest.UnitProps(t, []string{unit}, "InvocationID", "ActiveEnterTimestamp", "ActiveState", "SubState")[unit]
	// "running" while instances hold its fd, "listening" while none does.
	if p["ActiveState"] != "active" || (p["SubState"] != "running" && p["SubState"] != "listening") {
		t.Fatalf("%s is %s/%s, want active/running or listening", unit, p["ActiveState"], p["SubState"])
	}
	if p["InvocationID"] == "" || p["ActiveEnterTimestamp"] == "" {
		t.Fatalf("%s: no InvocationID or ActiveEnterTimestamp: %v", unit, p)
	}
	return p
}

// Shared socket: three instances take one listening fd from NAME.socket. A
// rolling deploy and a rolling restart, under load with a new connection
// per request, refuse no connection and fail no request; the socket unit
// itself is never stopped or restarted; status shows it.
func TestSharedSocketRolloutRefusesNothing(t *testing.T) {
	const addr = "127.0.0.1:18400"
	s := &service{t: t, name: "zd-socket", listen: addr, count: 3}
	s.install()
	sock := socketState(t, s.name)

	r := s.sysroll("status", s.name)
	if r.Code != 0 || !strings.Contains(r.Stdout, "socket active") {
		t.Errorf("sysroll status does not show the socket as active:\n%s", r)
	}
	if st := s.status(); st.Socket == "" || !strings.Contains(st.Socket, "active") {
		t.Errorf("status --json socket_state = %q, want it to say active", st.Socket)
	}

	steps := []struct {
		name string
		args []string
	}{
		{"deploy v2", []string{"deploy", s.name, "--artifact", s.release("v2"), "--version", "v2", "--json"}},
		{"restart", []string{"restart", s.name, "--json"}},
	}
	for _, step := range steps {
		t.Run(strings.ReplaceAll(step.name, " ", "_"), func(t *testing.T) {
			before := s.invocations()
			ctx, stop := context.WithCancel(context.Background())
			gen := &traffic.Generator{URL: "http://" + addr + "/work?ms=10", Concurrency: 8, KeepAlive: false}
			stats, wait := gen.Start(ctx)
			time.Sleep(500 * time.Millisecond) // load on before the rollout starts
			start := time.Now()
			r := e2etest.Sysroll(t, step.args...)
			took := time.Since(start)
			time.Sleep(500 * time.Millisecond) // and after it ended
			stop()
			wait()
			snap := stats.Snapshot()
			if r.Code != 0 {
				t.Fatalf("sysroll %s: %s", step.name, r)
			}
			t.Logf("%s took %s; load: %d requests, %d failed (%s), p99 %s, max %s", step.name, took.Round(time.Millisecond),
				snap.Requests, snap.Failed, snap.KindsString(), snap.P99.Round(time.Millisecond), snap.Max.Round(time.Millisecond))
			if snap.Failed != 0 || snap.Kinds["refused"] != 0 {
				t.Errorf("%s under load: %d failed requests (%s), want 0", step.name, snap.Failed, snap.KindsString())
			}
			if snap.Requests < 200 {
				t.Errorf("only %d requests during the %s: the load proves little", snap.Requests, step.name)
			}
			after := s.invocations()
			for in, id := range before {
				if after[in] == id {
					t.Errorf("instance %s: InvocationID unchanged: not restarted by the %s", in, step.name)
				}
			}
			evs := e2etest.ParseEvents(t, r.Stdout)
			restarts := 0
			for _, e := range evs {
				if e.Type == "phase" && e.Phase == "restart" {
					restarts++
				}
			}
			if restarts != len(s.instances()) {
				t.Errorf("%d restart phases in the event stream, want %d", restarts, len(s.instances()))
			}

			now := socketState(t, s.name)
			for _, k := range []string{"InvocationID", "ActiveEnterTimestamp"} {
				if now[k] != sock[k] {
					t.Errorf("%s.socket %s changed %s -> %s: the socket was restarted", s.name, k, sock[k], now[k])
				}
			}
			t.Logf("%s.socket untouched: InvocationID %s, active since %s", s.name, now["InvocationID"], now["ActiveEnterTimestamp"])
		})
	}
	s.assertAllOn("v2")
}
