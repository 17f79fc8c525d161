package main

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// latencyBuckets cover what a canary analysis compares: from 1 ms (a
// request doing nothing) to 10 s (well past any sane p99), about 2.5× apart.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// codeClientGone labels a request whose client went away (or whose
// connection was cut) before any answer: nginx's "client closed request".
// It is neither a success nor one of the app's errors.
const codeClientGone = "499"

// metrics is what GET /metrics serves. It has a registry of its own, not
// client_golang's global one, so that two apps in one test process do not
// share counters and a test sees exactly its own requests.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec // hello_requests_total{code}
	seconds  prometheus.Histogram   // hello_request_seconds
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		// A code's series appears with its first request, as with any
		// CounterVec: an analysis must read a missing 5xx series as 0
		// errors only when the total is there.
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hello_requests_total",
			Help: "Work requests (GET /, /work) answered, by HTTP status code; /healthz and /metrics are not counted.",
		}, []string{"code"}),
		seconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "hello_request_seconds",
			Help:    "Time to answer a work request (GET /, /work), added --latency included.",
			Buckets: latencyBuckets,
		}),
	}
	// process_start_time_seconds lets an analysis prove a series comes from
	// the new process (later than the unit's ExecMainStartTimestamp).
	m.reg.MustRegister(m.requests, m.seconds,
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector())
	return m
}

// handler serves the registry in the Prometheus exposition format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// instrument counts h's answers by code and times them with now.
func (m *metrics) instrument(now func() time.Time, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := now()
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		code := strconv.Itoa(sw.status())
		if !sw.wrote && errors.Is(r.Context().Err(), context.Canceled) {
			code = codeClientGone
		}
		m.seconds.Observe(now().Sub(start).Seconds())
		m.requests.WithLabelValues(code).Inc()
	})
}

// statusWriter remembers the status code a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.code, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if !s.wrote {
		s.code, s.wrote = http.StatusOK, true
	}
	return s.ResponseWriter.Write(p)
}

// status is what net/http sends: 200 when the handler wrote nothing.
func (s *statusWriter) status() int {
	if s.code == 0 {
		return http.StatusOK
	}
	return s.code
}

// Unwrap lets http.ResponseController reach the connection.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
