//go:build integration

package rollout_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/testbed"
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

// event mirrors one line of `sysroll deploy --json`.
type event struct {
	Time     time.Time `json:"time"`
	Type     string    `json:"type"`
	Instance string    `json:"instance"`
	Phase    string    `json:"phase"`
	Batch    int       `json:"batch"`
	Message  string    `json:"message"`
	Health   string    `json:"health"`
	Logs     []string  `json:"logs"`
	Result   string    `json:"result"`
	Elapsed  float64   `json:"elapsed_seconds"`
}

func parseEvents(t testing.TB, out string) []event {
	t.Helper()
	var evs []event
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(l, "{") {
			continue // the PID line of a background run
		}
		var e event
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("not a JSON event: %q: %v", l, err)
		}
		evs = append(evs, e)
	}
	return evs
}

// bgSysroll is a sysroll running in the background inside the container,
// whose PID (in the container) we know so the test can signal it.
type bgSysroll struct {
	t      testing.TB
	cmd    *exec.Cmd
	cancel context.CancelFunc
	pid    string
	lines  chan string // standard output, line by line; closed at EOF
	out    bytes.Buffer
	stderr bytes.Buffer
	mu     sync.Mutex
	waited chan struct{}
	res    e2etest.Result
}

// startSysroll starts sysroll ARGS inside the container. The shell prints
// its own PID, then becomes sysroll: that PID is sysroll's.
func startSysroll(t testing.TB, args ...string) *bgSysroll {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	argv := append([]string{"sh", "-c", `echo $$; exec "$0" "$@"`, e2etest.BinDir + "/sysroll"}, args...)
	cmd := testbed.Shared(t).Command(ctx, argv...)
	b := &bgSysroll{t: t, cmd: cmd, cancel: cancel, lines: make(chan string, 100000), waited: make(chan struct{})}
	// Wait returns once exec has copied everything sysroll wrote.
	cmd.Stdout = &lineWriter{b: b}
	cmd.Stderr = &b.stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() {
		err := cmd.Wait()
		var ee *exec.ExitError
		b.mu.Lock()
		b.res = e2etest.Result{Stdout: b.out.String(), Stderr: b.stderr.String()}
		switch {
		case err == nil:
		case errors.As(err, &ee):
			b.res.Code = ee.ExitCode()
		default:
			b.res.Code = -1
			b.res.Stderr += "\n(wait: " + err.Error() + ")"
		}
		b.mu.Unlock()
		close(b.lines)
		close(b.waited)
	}()
	t.Cleanup(func() {
		select {
		case <-b.waited:
		default:
			b.signal("KILL")
			<-b.waited
		}
		cancel()
	})
	select {
	case l, ok := <-b.lines:
		b.pid = strings.TrimSpace(l)
		if _, err := strconv.Atoi(b.pid); !ok || err != nil {
			t.Fatalf("sysroll %s: no PID printed (%q): %s", strings.Join(args, " "), l, b.output())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("sysroll %s: no PID printed within 30s", strings.Join(args, " "))
	}
	return b
}

// lineWriter passes standard output on line by line.
type lineWriter struct {
	b       *bgSysroll
	partial []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.b.mu.Lock()
	w.b.out.Write(p)
	w.b.mu.Unlock()
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.b.lines <- string(w.partial[:i])
		w.partial = w.partial[i+1:]
	}
	return len(p), nil
}

// signal sends sig (a name such as INT or KILL) to sysroll in the container.
func (b *bgSysroll) signal(sig string) {
	b.t.Helper()
	if r := e2etest.Run(b.t, "kill", "-s", sig, b.pid); r.Code != 0 {
		b.t.Logf("kill -s %s %s: %s", sig, b.pid, r)
	}
}

// waitEvent reads JSON events until match returns true and returns that
// event; it fails the test if sysroll ends first or within runs out.
func (b *bgSysroll) waitEvent(within time.Duration, match func(event) bool) event {
	b.t.Helper()
	timeout := time.After(within)
	for {
		select {
		case l, ok := <-b.lines:
			if !ok {
				r := b.wait(10 * time.Second)
				b.t.Fatalf("sysroll ended before the awaited event: %s", r)
			}
			var e event
			if json.Unmarshal([]byte(l), &e) != nil {
				continue // a plain line
			}
			if match(e) {
				return e
			}
		case <-timeout:
			b.t.Fatalf("no awaited event within %s; output so far:\n%s", within, b.output())
		}
	}
}

// waitLine reads plain lines until one contains s.
func (b *bgSysroll) waitLine(within time.Duration, s string) {
	b.t.Helper()
	timeout := time.After(within)
	for {
		select {
		case l, ok := <-b.lines:
			if !ok {
				b.t.Fatalf("sysroll ended before printing %q: %s", s, b.wait(10*time.Second))
			}
			if strings.Contains(l, s) {
				return
			}
		case <-timeout:
			b.t.Fatalf("no line with %q within %s; output so far:\n%s", s, within, b.output())
		}
	}
}

func (b *bgSysroll) output() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.out.String() + "\nstderr:\n" + b.stderr.String()
}

// wait waits for sysroll to exit and returns its result.
func (b *bgSysroll) wait(within time.Duration) e2etest.Result {
	b.t.Helper()
	go func() {
		for range b.lines { // keep draining, or the writer blocks
		}
	}()
	select {
	case <-b.waited:
	case <-time.After(within):
		b.t.Fatalf("sysroll did not exit within %s; output so far:\n%s", within, b.output())
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.res
}
