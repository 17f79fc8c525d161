//go:build integration

package zerodowntime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/testbed"
)

// event mirrors one line of `sysroll deploy --json`.
type event struct {
	Time     time.Time `json:"time"`
	Type     string    `json:"type"`
	Instance string    `json:"instance"`
	Phase    string    `json:"phase"`
	Batch    int       `json:"batch"`
	Message  string    `json:"message"`
	Result   string    `json:"result"`
}

func parseEvents(t testing.TB, out string) []event {
	t.Helper()
	var evs []event
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(l, "{") {
			continue
		}
		var e event
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("not a JSON event: %q: %v", l, err)
		}
		evs = append(evs, e)
	}
	return evs
}

// phaseAt returns when instance entered phase (the first time), or fails.
func phaseAt(t testing.TB, evs []event, instance, phase string) time.Time {
	t.Helper()
	for _, e := range evs {
		if e.Type == "phase" && e.Instance == instance && e.Phase == phase {
			return e.Time
		}
	}
	t.Fatalf("no %q phase event for instance %s", phase, instance)
	return time.Time{}
}

// bgSysroll is a sysroll running in the background inside the container,
// whose PID there we know, so the test can signal it.
type bgSysroll struct {
	t      testing.TB
	pid    string
	lines  chan string // standard output line by line; closed at EOF
	mu     sync.Mutex
	out    bytes.Buffer
	stderr bytes.Buffer
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
	b := &bgSysroll{t: t, lines: make(chan string, 100000), waited: make(chan struct{})}
	cmd.Stdout = &lineWriter{b: b}
	cmd.Stderr = &lockedWriter{mu: &b.mu, w: &b.stderr}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() {
		err := cmd.Wait()
		b.mu.Lock()
		b.res = e2etest.Result{Stdout: b.out.String(), Stderr: b.stderr.String()}
		var ee *exec.ExitError
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
			b.drainLines()
			<-b.waited
		}
		cancel()
	})
	select {
	case l := <-b.lines:
		b.pid = strings.TrimSpace(l)
		if _, err := strconv.Atoi(b.pid); err != nil {
			t.Fatalf("sysroll %s: no PID printed (%q): %s", strings.Join(args, " "), l, b.output())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("sysroll %s: no PID printed within 30s", strings.Join(args, " "))
	}
	return b
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
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

// signal sends sig (INT, KILL, ...) to sysroll in the container.
func (b *bgSysroll) signal(sig string) {
	b.t.Helper()
	if r := e2etest.Run(b.t, "kill", "-s", sig, b.pid); r.Code != 0 {
		b.t.Logf("kill -s %s %s: %s", sig, b.pid, r)
	}
}

// waitEvent reads JSON events until match returns true; it fails the test
// if sysroll ends first or within runs out.
func (b *bgSysroll) waitEvent(within time.Duration, match func(event) bool) event {
	b.t.Helper()
	timeout := time.After(within)
	for {
		select {
		case l, ok := <-b.lines:
			if !ok {
				b.t.Fatalf("sysroll ended before the awaited event: %s", b.wait(10*time.Second))
			}
			var e event
			if json.Unmarshal([]byte(l), &e) != nil {
				continue
			}
			if match(e) {
				return e
			}
		case <-timeout:
			b.t.Fatalf("no awaited event within %s; output so far:\n%s", within, b.output())
		}
	}
}

func (b *bgSysroll) output() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.out.String() + "\nstderr:\n" + b.stderr.String()
}

// drainLines keeps reading standard output so the writer never blocks.
func (b *bgSysroll) drainLines() {
	go func() {
		for range b.lines {
		}
	}()
}

// wait waits for sysroll to exit and returns its result.
func (b *bgSysroll) wait(within time.Duration) e2etest.Result {
	b.t.Helper()
	b.drainLines()
	select {
	case <-b.waited:
	case <-time.After(within):
		b.t.Fatalf("sysroll did not exit within %s; output so far:\n%s", within, b.output())
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.res
}
