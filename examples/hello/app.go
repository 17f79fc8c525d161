package main

import (
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// maxWork bounds /work?ms= so a typo cannot hold a connection for hours.
const maxWork = time.Minute

// app holds what the handlers report.
type app struct {
	version  string
	instance string
	pid      int
	now      func() time.Time

	// unhealthyAfter > 0 turns /healthz to 503 that long after ready.
	unhealthyAfter time.Duration
	readyAt        atomic.Int64 // UnixNano; 0 until ready
}

// markReady records when the app became ready, the start of the
// --unhealthy-after clock.
func (a *app) markReady() { a.readyAt.Store(a.now().UnixNano()) }

func (a *app) healthy() bool {
	if a.unhealthyAfter <= 0 {
		return true
	}
	ready := a.readyAt.Load()
	return ready == 0 || a.now().Sub(time.Unix(0, ready)) < a.unhealthyAfter
}

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.hello)
	mux.HandleFunc("GET /healthz", a.healthz)
	// Any method: load tests send POST so that no client retries a request
	// silently (Go retries idempotent requests on a reused connection).
	mux.HandleFunc("/work", a.work)
	return mux
}

func (a *app) hello(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "hello from %s (instance %s, pid %d)\n", a.version, a.instance, a.pid)
}

func (a *app) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !a.healthy() {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, "unhealthy")
		return
	}
	fmt.Fprint(w, "ok")
}

// work sleeps ms milliseconds (default 10), like a request doing real work:
// load tests use it to keep requests in flight across a restart.
func (a *app) work(w http.ResponseWriter, r *http.Request) {
	d := 10 * time.Millisecond
	if v := r.URL.Query().Get("ms"); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms < 0 || time.Duration(ms)*time.Millisecond > maxWork {
			http.Error(w, fmt.Sprintf("ms=%q: want 0 to %d", v, maxWork.Milliseconds()), http.StatusBadRequest)
			return
		}
		d = time.Duration(ms) * time.Millisecond
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
		return // client gone, or the connection was cut at the drain deadline
	}
	fmt.Fprintf(w, "worked %dms: %s (instance %s, pid %d)\n", d.Milliseconds(), a.version, a.instance, a.pid)
}
