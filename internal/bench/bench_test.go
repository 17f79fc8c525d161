package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/config"
)

// Every sysroll-managed method's service file is valid, and only (d)
// names HAProxy; only (e) has a shared socket.
func TestServiceFiles(t *testing.T) {
	h := healthSettings{Interval: 100 * time.Millisecond, HealthyFor: time.Second}
	for _, m := range allMethods {
		if m.driver == driverGuide {
			continue
		}
		t.Run(m.Key, func(t *testing.T) {
			text := m.serviceFile(h)
			svc, err := config.Parse(m.Service+".yaml", []byte(text))
			if err != nil {
				t.Fatalf("parse:\n%s\n%v", text, err)
			}
			if err := svc.Validate(); err != nil {
				t.Fatalf("validate:\n%s\n%v", text, err)
			}
			if got := svc.InstanceNames(); len(got) != instanceCount {
				t.Errorf("instances %v, want %d", got, instanceCount)
			}
			if (svc.Rollout.HAProxy != nil) != (m.Key == "d") {
				t.Errorf("haproxy section %+v", svc.Rollout.HAProxy)
			}
			if (svc.Listen != "") != (m.Key == "e") {
				t.Errorf("listen %q", svc.Listen)
			}
			if svc.Health.HealthyFor != time.Second || svc.Health.Interval != 100*time.Millisecond {
				t.Errorf("health %+v", svc.Health)
			}
		})
	}
}

func TestPortsInRange(t *testing.T) {
	seen := map[int]string{}
	for _, m := range allMethods {
		for _, p := range append([]int{m.Frontend, m.Listen}, m.Ports...) {
			if p == 0 {
				continue
			}
			if p < 18300 || p > 18399 {
				t.Errorf("(%s) port %d outside 18300-18399", m.Key, p)
			}
			if other, dup := seen[p]; dup {
				t.Errorf("port %d used by (%s) and (%s)", p, other, m.Key)
			}
			seen[p] = m.Key
		}
	}
}

// The guide's units: instance k Requires= and After= instance k-1, and
// nothing the guide did not have but what makes them load.
func TestGuideUnits(t *testing.T) {
	m := allMethods[1]
	units := guideUnits(m)
	if len(units) != instanceCount+1 {
		t.Fatalf("%d units", len(units))
	}
	u2 := units["bench-b-2.service"]
	for _, want := range []string{"Requires=bench-b-1.service", "After=bench-b-1.service", "ExecStart=" + guideBinary + " --port=18312", "RestartSec=2\n"} {
		if !strings.Contains(u2, want) {
			t.Errorf("bench-b-2.service lacks %q:\n%s", want, u2)
		}
	}
	for _, bad := range []string{"Type=", "#"} {
		if strings.Contains(u2, bad) {
			t.Errorf("bench-b-2.service has %q:\n%s", bad, u2)
		}
	}
	group := units["bench-b-group.service"]
	if !strings.Contains(group, "[Unit]\nDescription=My Go Application Group\nPartOf=bench-b-1.service bench-b-2.service") || !strings.Contains(group, "ExecStart=/bin/true") {
		t.Errorf("group unit:\n%s", group)
	}
}

func TestRenderHAProxy(t *testing.T) {
	cfg := renderHAProxy("/tmp/x/admin.sock", []backend{allMethods[3].backend()})
	for _, want := range []string{
		"stats socket /tmp/x/admin.sock level admin",
		"retries 0", "no option redispatch",
		"frontend fe-bench-d\n    bind 127.0.0.1:18330\n",
		"option httpchk GET /healthz",
		"server s18331 127.0.0.1:18331 check inter 100ms fall 1 rise 2",
		"server s18334 127.0.0.1:18334",
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config lacks %q:\n%s", want, cfg)
		}
	}
	if strings.Contains(cfg, "option redispatch\n") && !strings.Contains(cfg, "no option redispatch") {
		t.Error("redispatch on")
	}
}

func TestSummarizeWindow(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	samples := []sample{
		{start: ms(0), end: ms(10)},                   // before the window
		{start: ms(95), end: ms(105)},                 // overlaps its start
		{start: ms(120), end: ms(320), kind: "reset"}, // inside
		{start: ms(190), end: ms(210)},                // overlaps its end
		{start: ms(300), end: ms(900), kind: "eof"},   // after
		{start: ms(1000), end: ms(1010), kind: "eof"}, // after
	}
	st := summarize(samples, ms(100), ms(200))
	if st.Requests != 6 || st.Failed != 3 || st.Kinds["eof"] != 2 || st.Kinds["reset"] != 1 {
		t.Errorf("counts %+v", st)
	}
	if st.WindowRequests != 3 || st.WindowFailed != 1 {
		t.Errorf("window %d requests, %d failed; want 3, 1", st.WindowRequests, st.WindowFailed)
	}
	if st.Max != ms(200) || st.P50 != ms(20) {
		t.Errorf("latency p50 %s max %s; want 20ms, 200ms", st.P50, st.Max)
	}
	if st.FirstFailure != ms(220) || st.LastFailure != ms(910) {
		t.Errorf("failures %s..%s; want 220ms..910ms", st.FirstFailure, st.LastFailure)
	}
}

func TestFormatting(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{thousands(0), "0"},
		{thousands(999), "999"},
		{thousands(21345), "21,345"},
		{thousands(1234567), "1,234,567"},
		{kinds(nil), "-"},
		{kinds(map[string]int64{"reset": 1, "http-503": 12}), "http-503:12, reset:1"},
		{servingSummary(map[string]string{"1": "v2", "2": "v2", "3": "down", "4": "v1"}), "1×down, 1×v1, 2×v2"},
		{servingSummary(nil), "?"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestHAProxyEvidence(t *testing.T) {
	lines := []string{
		`127.0.0.1:38656 [25/Nov/2026:17:27:13.305] fe-bench-c bench-c/s18321 0/0/-1/-1/0 503 217 - - SC-- 33/33/31/0/0 0/0 "POST /work?ms=10 HTTP/1.1"`,
		`[WARNING]  (18298) : Server bench-c/s18321 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 3 active and 0 backup servers left. 9 sessions active, 0 requeued, 0 remaining in queue.`,
		`Server bench-c/s18321 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 3 active and 0 backup servers left. 9 sessions active, 0 requeued, 0 remaining in queue.`,
		`127.0.0.1:38618 [25/Nov/2026:17:27:13.306] fe-bench-c bench-c/<NOSRV> 0/0/-1/-1/0 503 217 - - SC-- 33/33/30/0/0 0/0 "POST /work?ms=10 HTTP/1.1"`,
		`backend bench-c has no server available!`,
		`127.0.0.1:38618 [25/Nov/2026:17:27:13.306] fe-bench-c bench-c/<NOSRV> 0/0/-1/-1/0 503 217 - - SC-- 33/33/30/0/0 0/0 "POST /work?ms=10 HTTP/1.1"`,
		`Server bench-c/s18321 is UP, reason: Layer7 check passed, code: 200, check duration: 0ms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.`,
	}
	got := strings.Join(haproxyEvidence(lines), "\n")
	want := "haproxy states: s18321 DOWN (3 up) → NO SERVER → s18321 UP (1 up)\n" +
		"haproxy: 1× bench-c/s18321 503 SC--\n" +
		"haproxy: 2× bench-c/<NOSRV> 503 SC--"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestTables(t *testing.T) {
	rs := []Result{
		{Run: 1, Method: "d", Title: "sysroll", Release: "v2", loadStats: loadStats{Requests: 21000, P99: 20 * time.Millisecond, Max: 40 * time.Millisecond}, Rollout: 5 * time.Second, AllNew: true, Serving: map[string]string{"1": "v2"}},
		{Run: 2, Method: "d", Title: "sysroll", Release: "v2", loadStats: loadStats{Requests: 20500, Failed: 2, Kinds: map[string]int64{"eof": 2}, P99: 25 * time.Millisecond, Max: 60 * time.Millisecond}, Rollout: 6 * time.Second, Serving: map[string]string{"1": "v2"}},
	}
	run := runTable(rs[:1])
	if !strings.Contains(run, "| (d) sysroll | v2 | 21,000 | 0 | - | 20 ms | 40 ms | 5.0 | 0 | yes | 1×v2 |") {
		t.Errorf("run table:\n%s", run)
	}
	agg := aggregateTable(rs)
	if !strings.Contains(agg, "| (d) sysroll | v2 | 2 | 41,500 (20,500) | 2 (0, 2) | eof:2 | 25 ms | 60 ms | 5.5 (5.0–6.0) | no (1/2) | 1×v2 |") {
		t.Errorf("aggregate table:\n%s", agg)
	}
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"--methods", "e,d,e", "--runs", "1", "--bad=false"}, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	if methodKeys(o.methods) != "d,e" || o.runs != 1 || o.bad || o.requests != 20000 || o.concurrency != 32 {
		t.Errorf("options %+v", o)
	}
	if _, err := parseFlags([]string{"--methods", "a,f"}, &strings.Builder{}); err == nil {
		t.Error("method f accepted")
	}
}

// The load generator counts every request, classifies failures, and sends
// POST on kept-alive connections.
func TestLoad(t *testing.T) {
	var n atomic.Int64
	var methods sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		methods.Store(r.Method, true)
		if n.Add(1)%10 == 0 {
			http.Error(w, "nope", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	l := startLoad(ctx, srv.URL+"/work", 4)
	for l.Requests() < 200 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	samples, errs := l.stop()
	st := summarize(samples, 0, l.Now())
	if st.Requests < 200 || st.Requests != int64(len(samples)) {
		t.Errorf("%d requests, %d samples", st.Requests, len(samples))
	}
	if st.Failed == 0 || st.Failed != st.Kinds["http-503"] || !strings.Contains(errs["http-503"], "nope") {
		t.Errorf("failed %d, kinds %v, errors %v", st.Failed, st.Kinds, errs)
	}
	if _, ok := methods.Load(http.MethodPost); !ok {
		t.Error("no POST sent")
	}
	if st.WindowRequests != st.Requests || st.Max <= 0 {
		t.Errorf("window %d of %d requests, max %s", st.WindowRequests, st.Requests, st.Max)
	}
}
