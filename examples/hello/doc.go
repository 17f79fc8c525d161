// Command hello is the guide's "My Go Application": a small HTTP service
// run as several systemd instances (hello@8081, hello@8082, ...) and rolled
// out by sysroll. It is built on package graceful, so it takes a socket from
// systemd when one is passed (else listens on 127.0.0.1:PORT), sends READY=1
// only once ready, and drains in-flight requests on SIGTERM.
//
//	GET /          hello from VERSION (instance X, pid P)
//	GET /healthz   200 "ok" (503 "unhealthy" with --unhealthy-after)
//	GET /work?ms=N sleeps N ms (default 10) then answers, for load tests
//	GET /metrics   Prometheus text format (client_golang, a registry of its own)
//
// /metrics has hello_requests_total{code} and the hello_request_seconds
// histogram of the work endpoints (/ and /work; /healthz and /metrics are
// not counted, so that a canary analysis compares the app's own traffic),
// and the process and Go collectors: process_start_time_seconds proves a
// series comes from the new process.
//
// It also has knobs for demos and tests that make a release slow, broken or
// crashing (--startup-delay, --fail-at-start, --unhealthy-after,
// --crash-after), or healthy by its probes but worse by its metrics
// (--error-rate, an exact deterministic share of 500s; --latency;
// --log-errors, stderr lines with sd-daemon's <3> prefix that journald
// stores at priority err), each also read from HELLO_* in the environment;
// see README.md.
//
// Build a release with its version stamped in:
//
//	go build -ldflags "-X main.version=1.4.2" ./examples/hello
//	./hello -print-version
package main
