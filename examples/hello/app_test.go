package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func newTestApp(now *time.Time, unhealthyAfter time.Duration) *app {
	return &app{
		version:        "1.2.3",
		instance:       "8081",
		pid:            4242,
		now:            func() time.Time { return *now },
		unhealthyAfter: unhealthyAfter,
		// The fake clock: --latency advances it instead of sleeping.
		sleep:    func(_ context.Context, d time.Duration) bool { *now = now.Add(d); return true },
		errLines: &errorLines{w: io.Discard},
		metrics:  newMetrics(),
	}
}

func serve(t *testing.T, h http.Handler, method, target string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec.Code, rec.Body.String()
}

func TestHandlers(t *testing.T) {
	now := time.Unix(1000, 0)
	h := newTestApp(&now, 0).routes()
	tests := []struct {
		method, target string
		wantCode       int
		wantBody       string
	}{
		{"GET", "/", 200, "hello from 1.2.3 (instance 8081, pid 4242)\n"},
		{"GET", "/healthz", 200, "ok"},
		{"GET", "/work?ms=0", 200, "worked 0ms: 1.2.3 (instance 8081, pid 4242)\n"},
		{"GET", "/work", 200, "worked 10ms: 1.2.3 (instance 8081, pid 4242)\n"},
		{"GET", "/work?ms=25", 200, "worked 25ms: 1.2.3 (instance 8081, pid 4242)\n"},
		{"GET", "/work?ms=-1", 400, `ms="-1": want 0 to 60000` + "\n"},
		{"GET", "/work?ms=lots", 400, `ms="lots": want 0 to 60000` + "\n"},
		{"GET", "/work?ms=60001", 400, `ms="60001": want 0 to 60000` + "\n"},
		{"GET", "/nope", 404, "404 page not found\n"},
		{"POST", "/", 405, "Method Not Allowed\n"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			code, body := serve(t, h, tt.method, tt.target)
			if code != tt.wantCode || body != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", code, body, tt.wantCode, tt.wantBody)
			}
		})
	}
}

func TestHealthzTurnsUnhealthy(t *testing.T) {
	now := time.Unix(1000, 0)
	a := newTestApp(&now, 10*time.Second)
	h := a.routes()

	// Not ready yet: the clock has not started.
	if code, _ := serve(t, h, "GET", "/healthz"); code != 200 {
		t.Errorf("before ready: %d", code)
	}
	a.markReady()
	now = now.Add(9 * time.Second)
	if code, body := serve(t, h, "GET", "/healthz"); code != 200 || body != "ok" {
		t.Errorf("9s after ready: %d %q", code, body)
	}
	now = now.Add(time.Second)
	if code, body := serve(t, h, "GET", "/healthz"); code != 503 || body != "unhealthy" {
		t.Errorf("10s after ready: %d %q, want 503", code, body)
	}
	// The rest keeps working: only the health check fails.
	if code, _ := serve(t, h, "GET", "/"); code != 200 {
		t.Errorf("GET / while unhealthy: %d", code)
	}
}

func TestWorkStopsWhenClientGoes(t *testing.T) {
	now := time.Now()
	h := newTestApp(&now, 0).routes()
	ctx, cancel := context.WithCancel(context.Background())
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/work?ms=60000", nil).WithContext(ctx))
		close(done)
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("/work ignored the request's cancellation")
	}
	if b, _ := io.ReadAll(rec.Body); strings.Contains(string(b), "worked") {
		t.Errorf("answered %q after cancellation", b)
	}
}
