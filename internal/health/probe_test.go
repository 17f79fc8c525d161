package health_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/health"
)

func TestHTTP(t *testing.T) {
	var conns atomic.Int32
	hit := map[string]*atomic.Int32{"/fail": {}}
	block := make(chan struct{})
	defer close(block)
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		if r.Host == "vhost.example" {
			w.Header().Set("X-Vhost", "1")
		}
		fmt.Fprintln(w, "hello, status ready")
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		hit["/fail"].Add(1)
		http.Error(w, "db down", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/fail", http.StatusFound)
	})
	mux.HandleFunc("/host", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, r.Host) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	tests := []struct {
		name   string
		probe  health.HTTP
		ok     bool
		detail string
	}{
		{"200", health.HTTP{URL: srv.URL + "/ok"}, true, "GET " + srv.URL + "/ok: 200 OK"},
		{"body matches", health.HTTP{URL: srv.URL + "/ok", Body: "ready"}, true, "200 OK"},
		{"body does not match", health.HTTP{URL: srv.URL + "/ok", Body: "green"}, false, `does not contain "green"`},
		{"503 with body", health.HTTP{URL: srv.URL + "/fail"}, false, `503 Service Unavailable, body "db down"`},
		{"exact status", health.HTTP{URL: srv.URL + "/fail", Status: 503}, true, "503"},
		{"exact status mismatch", health.HTTP{URL: srv.URL + "/ok", Status: 204}, false, "200 OK"},
		{"redirect not followed, 3xx ok", health.HTTP{URL: srv.URL + "/redirect"}, true, "302 Found"},
		{"redirect not followed, exact 200", health.HTTP{URL: srv.URL + "/redirect", Status: 200}, false, "302 Found"},
		{"host header", health.HTTP{URL: srv.URL + "/host", Host: "vhost.example", Body: "vhost.example"}, true, "200"},
		{"timeout", health.HTTP{URL: srv.URL + "/slow"}, false, "deadline exceeded"},
		{"refused", health.HTTP{URL: "http://" + closedAddr(t) + "/"}, false, "connection refused"},
		{"bad url", health.HTTP{URL: "http://[::1"}, false, "GET http://[::1: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := health.RunProbes(t.Context(), 200*time.Millisecond, []health.Probe{tt.probe})
			if r.OK != tt.ok || !strings.Contains(r.Detail, tt.detail) {
				t.Errorf("Check = %+v, want ok=%v and detail containing %q", r, tt.ok, tt.detail)
			}
			if strings.Contains(r.Detail, `Get "`) {
				t.Errorf("detail repeats the URL: %q", r.Detail)
			}
		})
	}
	if n := hit["/fail"].Load(); n != 2 {
		t.Errorf("/fail hit %d times, want 2: the redirect must not be followed", n)
	}
	// No keep-alive: each of the 3 checks opens its own connection.
	before := conns.Load()
	for range 3 {
		health.HTTP{URL: srv.URL + "/ok"}.Check(t.Context())
	}
	if got := conns.Load() - before; got != 3 {
		t.Errorf("3 checks opened %d connections, want 3 (no connection reuse)", got)
	}
}

// closedAddr returns a local address nothing listens on.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestTCP(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if r := (health.TCP{Addr: l.Addr().String()}).Check(t.Context()); !r.OK || !strings.Contains(r.Detail, "connected") {
		t.Errorf("listening: %+v", r)
	}
	if r := (health.TCP{Addr: closedAddr(t)}).Check(t.Context()); r.OK || !strings.Contains(r.Detail, "refused") {
		t.Errorf("closed: %+v", r)
	}
}

func TestExec(t *testing.T) {
	tests := []struct {
		name   string
		argv   []string
		ok     bool
		detail string
	}{
		{"exit 0", []string{"sh", "-c", "echo fine"}, true, "exit status 0: fine"},
		{"exit 3 with output", []string{"sh", "-c", "echo one; echo two >&2; echo; echo three; echo four; exit 3"}, false,
			"exit status 3: two | three | four"},
		{"timeout", []string{"sleep", "5"}, false, "deadline exceeded"},
		{"orphan holding stdout", []string{"sh", "-c", "sleep 5 & echo started"}, true, "started"},
		{"missing", []string{"/nonexistent/check"}, false, "no such file"},
		{"empty", nil, false, "no command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			r := health.RunProbes(t.Context(), 300*time.Millisecond, []health.Probe{health.Exec{Argv: tt.argv}})
			if r.OK != tt.ok || !strings.Contains(r.Detail, tt.detail) {
				t.Errorf("Check = %+v, want ok=%v and detail containing %q", r, tt.ok, tt.detail)
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("took %s: the probe must not outlive its timeout by much", took)
			}
		})
	}
}

func TestRunProbes(t *testing.T) {
	calls := 0
	ok := health.ProbeFunc(func(context.Context) health.Result { calls++; return health.Result{OK: true, Detail: "a ok"} })
	bad := health.ProbeFunc(func(context.Context) health.Result { calls++; return health.Result{Detail: "b bad"} })
	if r := health.RunProbes(t.Context(), 0, nil); !r.OK {
		t.Errorf("no probes: %+v", r)
	}
	if r := health.RunProbes(t.Context(), 0, []health.Probe{ok, ok}); !r.OK || r.Detail != "a ok; a ok" {
		t.Errorf("all ok: %+v", r)
	}
	calls = 0
	if r := health.RunProbes(t.Context(), 0, []health.Probe{ok, bad, ok}); r.OK || r.Detail != "b bad" || calls != 2 {
		t.Errorf("stop at first failure: %+v after %d calls", r, calls)
	}
	_ = errors.New
}
