//go:build integration

package rollout_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// poller is a client on the host asking a set of instances "GET /" over and
// over, each round all of them at once, as traffic would during a rollout.
type poller struct {
	ports  []int
	stop   chan struct{}
	done   chan struct{}
	client *http.Client

	mu       sync.Mutex
	rounds   int
	requests int
	failures map[int]int      // port -> failed requests
	firstErr map[int]string   // port -> first failure
	maxDown  int              // most instances failing in one round
	downAt   map[int][]string // port -> "at" of each failure, for reports
	start    time.Time
}

// pollEvery is the pause between two rounds.
const pollEvery = 10 * time.Millisecond

func startPoller(ports ...int) *poller {
	p := &poller{
		ports: ports, stop: make(chan struct{}), done: make(chan struct{}),
		// A new connection per request: the question is "does the instance
		// answer now", not "does an old keep-alive connection still work".
		client:   &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
		failures: map[int]int{}, firstErr: map[int]string{}, downAt: map[int][]string{},
		start: time.Now(),
	}
	go p.run()
	return p
}

func (p *poller) run() {
	defer close(p.done)
	for {
		select {
		case <-p.stop:
			return
		default:
		}
		errs := make([]error, len(p.ports))
		var wg sync.WaitGroup
		for i, port := range p.ports {
			wg.Go(func() { errs[i] = p.get(port) })
		}
		wg.Wait()
		at := time.Since(p.start).Round(time.Millisecond).String()
		p.mu.Lock()
		p.rounds++
		down := 0
		for i, err := range errs {
			p.requests++
			if err != nil {
				down++
				port := p.ports[i]
				p.failures[port]++
				p.downAt[port] = append(p.downAt[port], at)
				if _, ok := p.firstErr[port]; !ok {
					p.firstErr[port] = at + ": " + err.Error()
				}
			}
		}
		p.maxDown = max(p.maxDown, down)
		p.mu.Unlock()
		select {
		case <-p.stop:
			return
		case <-time.After(pollEvery):
		}
	}
}

func (p *poller) get(port int) error {
	resp, err := p.client.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return nil
}

// pollStats is what a poller saw.
type pollStats struct {
	rounds, requests, maxDown int
	failures                  map[int]int
	firstErr                  map[int]string
	downAt                    map[int][]string
}

func (s pollStats) totalFailures() int {
	n := 0
	for _, f := range s.failures {
		n += f
	}
	return n
}

func (s pollStats) String() string {
	var parts []string
	for port, n := range s.failures {
		parts = append(parts, fmt.Sprintf("%d: %d failed (first %s)", port, n, s.firstErr[port]))
	}
	return fmt.Sprintf("%d rounds, %d requests, at most %d instances down at once; %s", s.rounds, s.requests, s.maxDown, strings.Join(parts, "; "))
}

// Stop ends the polling and returns what it saw.
func (p *poller) Stop() pollStats {
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return pollStats{rounds: p.rounds, requests: p.requests, maxDown: p.maxDown, failures: p.failures, firstErr: p.firstErr, downAt: p.downAt}
}
