package traffic

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Generator sends GET requests to URL until its context ends.
type Generator struct {
	URL string
	// Concurrency is the number of workers (default 1).
	Concurrency int
	// Rate, when > 0, is the total requests per second (open loop). With 0,
	// each worker sends its next request as soon as the last one ended
	// (closed loop).
	Rate float64
	// Timeout of one request (default 5s).
	Timeout time.Duration
	// KeepAlive reuses connections (default false: a new connection per
	// request, which also proves connections are accepted).
	KeepAlive bool
	// Method defaults to GET. Go's client silently retries a GET that failed
	// on a reused keep-alive connection; with KeepAlive, use POST to count
	// every failure the server caused.
	Method string
}

// Stats counts requests as they finish; safe for concurrent use.
type Stats struct {
	mu        sync.Mutex
	requests  int64
	failed    int64
	kinds     map[string]int64
	latencies []time.Duration
	started   time.Time
}

// Snapshot is Stats at one moment.
type Snapshot struct {
	Requests int64            `json:"requests"`
	Failed   int64            `json:"failed"`
	Kinds    map[string]int64 `json:"failure_kinds,omitempty"`
	P50      time.Duration    `json:"p50"`
	P99      time.Duration    `json:"p99"`
	Max      time.Duration    `json:"max"`
	Elapsed  time.Duration    `json:"elapsed"`
}

// KindsString renders failure kinds as "refused:3 reset:1", or "-".
func (s Snapshot) KindsString() string {
	if len(s.Kinds) == 0 {
		return "-"
	}
	var parts []string
	for k, n := range s.Kinds {
		parts = append(parts, fmt.Sprintf("%s:%d", k, n))
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

// Start runs g in the background; the returned Stats fill while it runs
// and wait() returns once every worker stopped (after ctx ends).
func (g *Generator) Start(ctx context.Context) (stats *Stats, wait func()) {
	n := max(g.Concurrency, 1)
	client, tr := g.client(n)
	stats = &Stats{kinds: map[string]int64{}, started: time.Now()}
	var tick <-chan time.Time
	if g.Rate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / g.Rate))
		tick = t.C
		defer func() {
			go func() { <-ctx.Done(); t.Stop() }()
		}()
	}
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if tick != nil {
					select {
					case <-ctx.Done():
						return
					case <-tick:
					}
				} else if ctx.Err() != nil {
					return
				}
				stats.record(g.once(ctx, client))
			}
		}()
	}
	return stats, func() { wg.Wait(); tr.CloseIdleConnections() }
}

// client is the HTTP client of n workers.
func (g *Generator) client(n int) (*http.Client, *http.Transport) {
	timeout := g.Timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	tr := &http.Transport{
		DisableKeepAlives:   !g.KeepAlive,
		MaxIdleConnsPerHost: n,
		DialContext:         (&net.Dialer{Timeout: timeout}).DialContext,
	}
	return &http.Client{Transport: tr, Timeout: timeout}, tr
}

// sender returns a function sending one request as the workers do, and
// one releasing the client's connections.
func (g *Generator) sender() (send func(context.Context) outcome, done func()) {
	c, tr := g.client(1)
	return func(ctx context.Context) outcome { return g.once(ctx, c) }, tr.CloseIdleConnections
}

type outcome struct {
	took time.Duration
	kind string // "" for success
}

func (g *Generator) once(ctx context.Context, c *http.Client) outcome {
	start := time.Now()
	method := g.Method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequest(method, g.URL, nil)
	if err != nil {
		return outcome{kind: "bad-url"}
	}
	resp, err := c.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return outcome{kind: "-"} // stopped by us: not counted
		}
		return outcome{took: time.Since(start), kind: Classify(err)}
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	o := outcome{took: time.Since(start)}
	switch {
	case err != nil:
		o.kind = Classify(err)
	case resp.StatusCode >= 500:
		o.kind = fmt.Sprintf("http-%d", resp.StatusCode)
	}
	return o
}

// Classify names a request error the way an operator thinks of it.
func Classify(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return "other"
}

func (s *Stats) record(o outcome) {
	if o.kind == "-" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if o.kind != "" {
		s.failed++
		s.kinds[o.kind]++
	}
	s.latencies = append(s.latencies, o.took)
}

// Snapshot returns the counts so far.
func (s *Stats) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := Snapshot{Requests: s.requests, Failed: s.failed, Kinds: map[string]int64{}, Elapsed: time.Since(s.started)}
	for k, v := range s.kinds {
		snap.Kinds[k] = v
	}
	if len(s.latencies) > 0 {
		l := slices.Clone(s.latencies)
		slices.Sort(l)
		snap.P50 = l[len(l)/2]
		snap.P99 = l[min(len(l)-1, len(l)*99/100)]
		snap.Max = l[len(l)-1]
	}
	return snap
}

// Failed returns the number of failed requests so far.
func (s *Stats) Failed() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}
