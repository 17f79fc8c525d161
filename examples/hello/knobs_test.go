package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestSpreadIsExact(t *testing.T) {
	tests := []struct {
		share string
		n     int
		want  int
	}{
		{"0", 1000, 0},
		{"0.05", 1000, 50},
		{"0.05", 999, 49},
		{"0.1", 1000, 100},
		{"0.2", 7, 1},
		{"1", 1000, 1000},
		{"0.333333", 3000, 999},
		{"0.001", 1000, 1},
		{"0.001", 999, 0},
		{"0.0000015", 1_000_000, 2}, // rounds to 2 ppm
	}
	for _, tt := range tests {
		t.Run(tt.share, func(t *testing.T) {
			f, err := parseFraction(tt.share)
			if err != nil {
				t.Fatal(err)
			}
			s := spread{ppm: f.ppm}
			got := 0
			for range tt.n {
				if s.next() {
					got++
				}
			}
			if got != tt.want {
				t.Errorf("%s of %d: picked %d, want %d", tt.share, tt.n, got, tt.want)
			}
		})
	}
}

func TestParseFraction(t *testing.T) {
	for _, tt := range []struct {
		in      string
		wantPPM int64
		wantErr string
	}{
		{"0", 0, ""},
		{"0.05", 50_000, ""},
		{" 0.5 ", 500_000, ""},
		{"1", million, ""},
		{"1e-3", 1000, ""},
		{"1.5", 0, "from 0 to 1"},
		{"-0.1", 0, "from 0 to 1"},
		{"5%", 0, "from 0 to 1"},
		{"NaN", 0, "from 0 to 1"},
		{"", 0, "from 0 to 1"},
		{"1e-9", 0, "below one in a million"},
	} {
		f, err := parseFraction(tt.in)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseFraction(%q) = %v, %v; want error %q", tt.in, f, err, tt.wantErr)
			}
		case err != nil || f.ppm != tt.wantPPM:
			t.Errorf("parseFraction(%q) = %d ppm, %v; want %d", tt.in, f.ppm, err, tt.wantPPM)
		}
	}
}

func TestParseLogRate(t *testing.T) {
	for _, tt := range []struct {
		in           string
		want         logRate
		wantInterval time.Duration
		wantString   string
		wantErr      string
	}{
		{in: "0", want: logRate{}, wantString: "0"},
		{in: "0.1", want: logRate{perRequest: fraction{100_000}}, wantString: "0.1"},
		{in: "5/s", want: logRate{perSecond: 5}, wantInterval: 200 * time.Millisecond, wantString: "5/s"},
		{in: "0.5/s", want: logRate{perSecond: 0.5}, wantInterval: 2 * time.Second, wantString: "0.5/s"},
		{in: "100/s", want: logRate{perSecond: 100}, wantInterval: 10 * time.Millisecond, wantString: "100/s"},
		{in: "101/s", wantErr: "N from 0.01 to 100"},
		{in: "0/s", wantErr: "N from 0.01 to 100"},
		{in: "x/s", wantErr: "N from 0.01 to 100"},
		{in: "5/m", wantErr: "lines per second (5/s)"},
		{in: "2", wantErr: "share of requests from 0 to 1"},
	} {
		l, err := parseLogRate(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseLogRate(%q) = %v, %v; want error %q", tt.in, l, err, tt.wantErr)
			}
			continue
		}
		if err != nil || l != tt.want || l.interval() != tt.wantInterval || l.String() != tt.wantString {
			t.Errorf("parseLogRate(%q) = %+v (every %s, %q), %v; want %+v (every %s, %q)",
				tt.in, l, l.interval(), l.String(), err, tt.want, tt.wantInterval, tt.wantString)
		}
	}
}

// checkErrLines asserts out is exactly n lines, each with the <3> prefix
// journald reads as priority err.
func checkErrLines(t *testing.T, out string, n int) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if out == "" {
		lines = nil
	}
	if len(lines) != n {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), n, out)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "<3>error on purpose #") {
			t.Errorf("line %q lacks the <3> prefix", l)
		}
	}
}

// --log-errors 0.1: every 10th work request logs one <3> line; probes and
// scrapes log nothing.
func TestLogErrorsPerRequest(t *testing.T) {
	now := time.Unix(1000, 0)
	a := newTestApp(&now, 0)
	var out bytes.Buffer
	a.errLines = &errorLines{w: &out}
	a.logRate = spread{ppm: 100_000}
	h := a.routes()
	for range 100 {
		serve(t, h, "GET", "/work?ms=0")
		serve(t, h, "GET", "/healthz")
		scrape(t, h)
	}
	checkErrLines(t, out.String(), 10)
	if first := strings.SplitN(out.String(), "\n", 2)[0]; first != "<3>error on purpose #1: --log-errors 0.1, GET /work (version 1.2.3, instance 8081)" {
		t.Errorf("first line %q", first)
	}
	// The error lines do not fail the requests: that is --error-rate's job.
	if got, want := requestsByCode(t, scrape(t, h)), map[string]float64{"200": 100}; !equalCounts(got, want) {
		t.Errorf("hello_requests_total = %v, want %v", got, want)
	}
}

// --log-errors 5/s: one line per tick, whatever the traffic, until stopped.
func TestLogErrorsEveryTick(t *testing.T) {
	var out bytes.Buffer
	e := &errorLines{w: &out}
	ticks := make(chan time.Time) // unbuffered: a send returns once the loop has it
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		e.every(ctx, ticks, logRate{perSecond: 5})
		close(done)
	}()
	for range 3 {
		ticks <- time.Now()
	}
	cancel()
	<-done
	checkErrLines(t, out.String(), 3)
	if !strings.HasSuffix(out.String(), "<3>error on purpose #3: --log-errors 5/s\n") {
		t.Errorf("lines:\n%s", out.String())
	}
}
