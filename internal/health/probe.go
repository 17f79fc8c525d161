package health

import (
	"context"
	"strings"
	"time"
)

// Probe checks one aspect of an instance's health. Check must honour ctx
// (its deadline is the probe timeout) and never panic; a failure is reported
// in the Result, not as an error.
type Probe interface {
	Check(ctx context.Context) Result
}

// Result is the outcome of one check.
type Result struct {
	OK bool
	// Detail says what was checked and what came back, for humans, e.g.
	// `GET http://127.0.0.1:8082/healthz: 503 Service Unavailable, body "db down"`.
	Detail string
	Took   time.Duration
}

func (r Result) String() string {
	if r.Detail == "" {
		if r.OK {
			return "ok"
		}
		return "failed"
	}
	return r.Detail
}

// ProbeFunc adapts a function to the Probe interface.
type ProbeFunc func(ctx context.Context) Result

// Check implements Probe.
func (f ProbeFunc) Check(ctx context.Context) Result { return f(ctx) }

// RunProbes runs the probes one after another, each bounded by timeout (0:
// only ctx bounds it), and stops at the first failure, whose Result it
// returns. When all pass it returns OK with their details joined. No probes
// is a pass with an empty detail.
func RunProbes(ctx context.Context, timeout time.Duration, probes []Probe) Result {
	var details []string
	var took time.Duration
	for _, p := range probes {
		r := checkOne(ctx, timeout, p)
		took += r.Took
		if !r.OK {
			r.Took = took
			return r
		}
		if r.Detail != "" {
			details = append(details, r.Detail)
		}
	}
	return Result{OK: true, Detail: strings.Join(details, "; "), Took: took}
}

func checkOne(ctx context.Context, timeout time.Duration, p Probe) Result {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	return p.Check(ctx)
}

// clip shortens s to at most n bytes, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
