package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// million is the resolution of a fraction: parts per million, so that
// spread's arithmetic is exact integers, never accumulated float error.
const million = 1_000_000

// maxLogPerSecond bounds --log-errors N/s well below journald's default
// per-service rate limit (RateLimitBurst=10000 per RateLimitIntervalSec=30s):
// a suppressed burst would turn "10× the baseline" into an unknown number.
const maxLogPerSecond = 100

// fraction is a share of requests from 0 to 1 (--error-rate 0.05), kept
// in parts per million. It is a flag.Value.
type fraction struct{ ppm int64 }

func parseFraction(s string) (fraction, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > 1 {
		return fraction{}, fmt.Errorf("%q: want a fraction from 0 to 1, like 0.05", s)
	}
	ppm := int64(math.Round(f * million))
	if f > 0 && ppm == 0 {
		return fraction{}, fmt.Errorf("%q: below one in a million", s)
	}
	return fraction{ppm: ppm}, nil
}

func (f fraction) String() string {
	return strconv.FormatFloat(float64(f.ppm)/million, 'g', -1, 64)
}

// Set implements flag.Value.
func (f *fraction) Set(s string) error {
	v, err := parseFraction(s)
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// logRate is --log-errors: either a share of work requests ("0.1": every
// 10th request logs one error line) or lines per second whatever the
// traffic ("5/s", from 0.01/s to 100/s). The zero value logs nothing.
type logRate struct {
	perRequest fraction
	perSecond  float64
}

func parseLogRate(s string) (logRate, error) {
	if n, ok := strings.CutSuffix(strings.TrimSpace(s), "/s"); ok {
		f, err := strconv.ParseFloat(n, 64)
		if err != nil || math.IsNaN(f) || f < 0.01 || f > maxLogPerSecond {
			return logRate{}, fmt.Errorf("%q: want N/s with N from 0.01 to %d, like 5/s", s, maxLogPerSecond)
		}
		return logRate{perSecond: f}, nil
	}
	f, err := parseFraction(s)
	if err != nil {
		return logRate{}, fmt.Errorf("%q: want a share of requests from 0 to 1 (0.1) or lines per second (5/s)", s)
	}
	return logRate{perRequest: f}, nil
}

func (l logRate) String() string {
	if l.perSecond > 0 {
		return strconv.FormatFloat(l.perSecond, 'g', -1, 64) + "/s"
	}
	return l.perRequest.String()
}

// Set implements flag.Value.
func (l *logRate) Set(s string) error {
	v, err := parseLogRate(s)
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// interval is the time between two lines of an N/s rate, 0 if none.
func (l logRate) interval() time.Duration {
	if l.perSecond <= 0 {
		return 0
	}
	return time.Duration(float64(time.Second) / l.perSecond)
}

// spread picks a fraction of events deterministically, not at random:
// event n (counting from 1) is picked when floor(n·ppm/10⁶) grows. After N
// events exactly floor(N·ppm/10⁶) were picked, evenly spaced (for 0.05:
// the 20th, 40th, ...), so a test of "5 % errors" over 1000 requests sees
// 50, not a random walk around it. Safe for concurrent use.
type spread struct {
	ppm int64
	n   atomic.Int64
}

func (s *spread) next() bool {
	if s.ppm <= 0 {
		return false
	}
	n := s.n.Add(1)
	return n*s.ppm/million > (n-1)*s.ppm/million
}

// errPrefix is sd-daemon's SD_ERR. With StandardError=journal (the default)
// and SyslogLevelPrefix=yes (the default), journald stores a stderr line
// that starts with it at priority 3 (err) and strips the prefix; without a
// prefix a line is stored at SyslogLevel= (default info). systemd.exec(5),
// sd-daemon(3).
const errPrefix = "<3>"

// errorLines writes the --log-errors lines, each in one Write, so that
// `journalctl -p err _SYSTEMD_INVOCATION_ID=...` counts exactly them.
type errorLines struct {
	w io.Writer
	n atomic.Int64
}

func (e *errorLines) write(format string, args ...any) {
	n := e.n.Add(1)
	fmt.Fprintf(e.w, errPrefix+"error on purpose #%d: "+format+"\n", append([]any{n}, args...)...)
}

// every writes a line at each tick until ctx is done: the N/s form, on a
// ticker the caller owns (a fake one in tests).
func (e *errorLines) every(ctx context.Context, ticks <-chan time.Time, rate logRate) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
			e.write("--log-errors %s", rate)
		}
	}
}

// lockedWriter serialises whole writes from the logger and the error lines
// to one stream, so lines never interleave.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
