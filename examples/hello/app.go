package main

import (
	"context"
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

	// What makes a release worse by metrics while its probes pass; they
	// apply to the work endpoints (GET /, /work) only.
	latency    time.Duration                                   // --latency, added before answering
	sleep      func(ctx context.Context, d time.Duration) bool // false: ctx done first
	errorRate  spread                                          // --error-rate: answered 500
	errorAfter time.Duration                                   // --error-after: errorRate starts this long after ready
	logRate    spread                                          // --log-errors as a share of requests
	errLines   *errorLines                                     // where the <3> lines go

	metrics *metrics
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

// erring says whether --error-rate applies yet: from ready on, or
// --error-after later.
func (a *app) erring() bool {
	if a.errorAfter <= 0 {
		return true
	}
	ready := a.readyAt.Load()
	return ready != 0 && a.now().Sub(time.Unix(0, ready)) >= a.errorAfter
}

func (a *app) routes() http.Handler {
	// Only the work endpoints are counted and misbehave: an analysis compares
	// the app's traffic, which a prober's /healthz or a scraper's /metrics
	// would dilute (and a scrape that fails 5 % of the time is no metric).
	work := func(h http.HandlerFunc) http.Handler {
		return a.metrics.instrument(a.now, a.misbehave(h))
	}
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", work(a.hello))
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.Handle("GET /metrics", a.metrics.handler())
	// Any method: load tests send POST so that no client retries a request
	// silently (Go retries idempotent requests on a reused connection).
	mux.Handle("/work", work(a.work))
	return mux
}

// misbehave applies the demo knobs to a work request: first the added
// latency, then the error lines and the error rate, each picked by a
// deterministic spread (see spread).
func (a *app) misbehave(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.latency > 0 && !a.sleep(r.Context(), a.latency) {
			return // client gone
		}
		if a.logRate.next() {
			a.errLines.write("--log-errors %s, %s %s (version %s, instance %s)",
				fraction{a.logRate.ppm}, r.Method, r.URL.Path, a.version, a.instance)
		}
		if a.erring() && a.errorRate.next() {
			http.Error(w, "error on purpose (--error-rate "+fraction{a.errorRate.ppm}.String()+")", http.StatusInternalServerError)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// sleepCtx waits d, or until ctx is done (then it returns false).
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
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
	if !sleepCtx(r.Context(), d) {
		return // client gone, or the connection was cut at the drain deadline
	}
	fmt.Fprintf(w, "worked %dms: %s (instance %s, pid %d)\n", d.Milliseconds(), a.version, a.instance, a.pid)
}
