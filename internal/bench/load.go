package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sysroll/sysroll/internal/traffic"
)

// load is the benchmark's load generator: the same client as
// traffic.Generator (closed loop, keep-alive, POST, 5s timeout, failures
// classified by traffic.Classify), but it keeps every request's start and
// end, so that latency can be measured over the rollout window alone
// rather than diluted by the quiet seconds around it.
type load struct {
	url   string
	conc  int
	start time.Time
	tr    *http.Transport

	done   atomic.Int64 // finished requests, counted or not yet merged
	mu     sync.Mutex
	per    [][]sample        // one slice per worker, merged by stop
	sample map[string]string // first error message of each failure kind
	wg     sync.WaitGroup
}

// sample is one finished request; times are offsets from load.start.
type sample struct {
	start, end time.Duration
	kind       string // "" for success
}

const requestTimeout = 5 * time.Second

// startLoad starts conc workers sending POST url back to back, each on its
// own keep-alive connection. POST, because Go's client silently retries an
// idempotent request that failed on a reused connection, which would hide
// exactly the failures this benchmark counts.
func startLoad(ctx context.Context, url string, conc int) *load {
	l := &load{
		url:    url,
		conc:   conc,
		start:  time.Now(),
		per:    make([][]sample, conc),
		sample: map[string]string{},
		tr: &http.Transport{
			MaxIdleConnsPerHost: conc,
			DialContext:         (&net.Dialer{Timeout: requestTimeout}).DialContext,
		},
	}
	client := &http.Client{Transport: l.tr, Timeout: requestTimeout}
	for w := range conc {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for ctx.Err() == nil {
				s, ok := l.once(ctx, client)
				if !ok {
					return
				}
				l.per[w] = append(l.per[w], s)
				l.done.Add(1)
			}
		}()
	}
	return l
}

// once sends one request; ok is false when ctx ended it (not counted).
func (l *load) once(ctx context.Context, c *http.Client) (sample, bool) {
	t0 := time.Now()
	s := sample{start: t0.Sub(l.start)}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.url, nil)
	if err != nil {
		panic(err) // the URL is ours
	}
	var msg string
	resp, err := c.Do(req)
	if err == nil {
		var body []byte
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			s.kind = fmt.Sprintf("http-%d", resp.StatusCode)
			msg = fmt.Sprintf("%s: %.80q", resp.Status, body)
		}
	}
	s.end = time.Since(l.start)
	if err != nil {
		if ctx.Err() != nil {
			return s, false
		}
		s.kind, msg = traffic.Classify(err), err.Error()
	}
	if s.kind != "" {
		l.mu.Lock()
		if _, seen := l.sample[s.kind]; !seen {
			l.sample[s.kind] = msg
		}
		l.mu.Unlock()
	}
	return s, true
}

// Requests is how many requests finished so far.
func (l *load) Requests() int64 { return l.done.Load() }

// Now is the offset of this moment on the load's clock.
func (l *load) Now() time.Duration { return time.Since(l.start) }

// stop waits for the workers (after their ctx ended) and returns every
// request, in no particular order, and the first error of each kind.
func (l *load) stop() ([]sample, map[string]string) {
	l.wg.Wait()
	l.tr.CloseIdleConnections()
	var all []sample
	for _, p := range l.per {
		all = append(all, p...)
	}
	return all, l.sample
}

// loadStats summarizes samples: counts over all of them, latency over the
// requests that overlapped the window [from, to].
type loadStats struct {
	Requests       int64            `json:"requests"`
	Failed         int64            `json:"failed"`
	Kinds          map[string]int64 `json:"failure_kinds,omitempty"`
	WindowRequests int64            `json:"window_requests"`
	WindowFailed   int64            `json:"window_failed"`
	P50            time.Duration    `json:"window_p50_ns"`
	P99            time.Duration    `json:"window_p99_ns"`
	Max            time.Duration    `json:"window_max_ns"`
	// FirstFailure and LastFailure are offsets from the window's start
	// (negative: before the rollout began).
	FirstFailure time.Duration `json:"first_failure_ns,omitempty"`
	LastFailure  time.Duration `json:"last_failure_ns,omitempty"`
}

func summarize(samples []sample, from, to time.Duration) loadStats {
	st := loadStats{Kinds: map[string]int64{}}
	var lat []time.Duration
	first := true
	for _, s := range samples {
		st.Requests++
		if s.kind != "" {
			st.Failed++
			st.Kinds[s.kind]++
			at := s.end - from
			if first || at < st.FirstFailure {
				st.FirstFailure = at
			}
			if first || at > st.LastFailure {
				st.LastFailure = at
			}
			first = false
		}
		if s.start <= to && s.end >= from {
			st.WindowRequests++
			if s.kind != "" {
				st.WindowFailed++
			}
			lat = append(lat, s.end-s.start)
		}
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		st.P50 = lat[len(lat)/2]
		st.P99 = lat[min(len(lat)-1, len(lat)*99/100)]
		st.Max = lat[len(lat)-1]
	}
	return st
}
