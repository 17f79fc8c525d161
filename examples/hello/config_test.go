package main

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(t *testing.T, c config)
		wantErr string
	}{
		{name: "defaults", check: func(t *testing.T, c config) {
			want := config{listen: "127.0.0.1:8080", version: "dev", shutdownTimeout: 5 * time.Second}
			if c != want {
				t.Errorf("got %+v, want %+v", c, want)
			}
		}},
		{name: "guide's --port=8081", args: []string{"--port=8081"}, check: func(t *testing.T, c config) {
			if c.listen != "127.0.0.1:8081" || c.port != 8081 {
				t.Errorf("listen %q port %d", c.listen, c.port)
			}
		}},
		{name: "--port N", args: []string{"--port", "8082", "--version", "1.2.3"}, check: func(t *testing.T, c config) {
			if c.listen != "127.0.0.1:8082" || c.version != "1.2.3" {
				t.Errorf("listen %q version %q", c.listen, c.version)
			}
		}},
		{name: "--listen", args: []string{"--listen", "[::1]:9000"}, check: func(t *testing.T, c config) {
			if c.listen != "[::1]:9000" || c.port != 0 {
				t.Errorf("listen %q port %d", c.listen, c.port)
			}
		}},
		{name: "print-version flag", args: []string{"-print-version"}, check: func(t *testing.T, c config) {
			if !c.printVersion {
				t.Error("printVersion not set")
			}
		}},
		{name: "version argument", args: []string{"version"}, check: func(t *testing.T, c config) {
			if !c.printVersion {
				t.Error("printVersion not set")
			}
		}},
		{name: "knobs from env", env: map[string]string{
			"HELLO_STARTUP_DELAY": "2s", "HELLO_FAIL_AT_START": "1", "HELLO_UNHEALTHY_AFTER": "1m",
			"HELLO_CRASH_AFTER": "500ms", "HELLO_INSTANCE": "blue",
		}, check: func(t *testing.T, c config) {
			if c.startupDelay != 2*time.Second || !c.failAtStart || c.unhealthyAfter != time.Minute ||
				c.crashAfter != 500*time.Millisecond || c.instance != "blue" {
				t.Errorf("got %+v", c)
			}
		}},
		{name: "flags win over env",
			args: []string{"--startup-delay=1s", "--fail-at-start=false", "--crash-after=0", "--instance=green"},
			env:  map[string]string{"HELLO_STARTUP_DELAY": "2s", "HELLO_FAIL_AT_START": "true", "HELLO_CRASH_AFTER": "3s", "HELLO_INSTANCE": "blue"},
			check: func(t *testing.T, c config) {
				if c.startupDelay != time.Second || c.failAtStart || c.crashAfter != 0 || c.instance != "green" {
					t.Errorf("got %+v", c)
				}
			}},
		{name: "knobs from flags",
			args: []string{"--startup-delay", "3s", "--fail-at-start", "--unhealthy-after", "4s", "--crash-after", "5s"},
			check: func(t *testing.T, c config) {
				if c.startupDelay != 3*time.Second || !c.failAtStart || c.unhealthyAfter != 4*time.Second || c.crashAfter != 5*time.Second {
					t.Errorf("got %+v", c)
				}
			}},
		{name: "metric knobs from env", env: map[string]string{
			"HELLO_ERROR_RATE": "0.05", "HELLO_LATENCY": "50ms", "HELLO_LOG_ERRORS": "5/s", "HELLO_ERROR_AFTER": "20s",
		}, check: func(t *testing.T, c config) {
			if c.errorRate != (fraction{50_000}) || c.errorAfter != 20*time.Second || c.latency != 50*time.Millisecond || c.logErrors != (logRate{perSecond: 5}) {
				t.Errorf("got %+v", c)
			}
		}},
		{name: "metric knobs from flags win over env",
			args: []string{"--error-rate", "0.2", "--latency=1s", "--log-errors=0.1", "--error-after=3s"},
			env:  map[string]string{"HELLO_ERROR_RATE": "0.05", "HELLO_LATENCY": "50ms", "HELLO_LOG_ERRORS": "5/s", "HELLO_ERROR_AFTER": "20s"},
			check: func(t *testing.T, c config) {
				if c.errorRate != (fraction{200_000}) || c.errorAfter != 3*time.Second || c.latency != time.Second || c.logErrors != (logRate{perRequest: fraction{100_000}}) {
					t.Errorf("got %+v", c)
				}
			}},
		{name: "bad env error rate", env: map[string]string{"HELLO_ERROR_RATE": "5%"}, wantErr: `HELLO_ERROR_RATE="5%": want a fraction from 0 to 1`},
		{name: "bad flag error rate", args: []string{"--error-rate=1.5"}, wantErr: `invalid value "1.5" for flag -error-rate`},
		{name: "bad env latency", env: map[string]string{"HELLO_LATENCY": "slow"}, wantErr: "HELLO_LATENCY"},
		{name: "negative env latency", env: map[string]string{"HELLO_LATENCY": "-1s"}, wantErr: "HELLO_LATENCY"},
		{name: "negative flag latency", args: []string{"--latency=-1s"}, wantErr: "--latency (or HELLO_LATENCY) -1s: want 0 to 1m0s"},
		{name: "latency too long", env: map[string]string{"HELLO_LATENCY": "2h"}, wantErr: "want 0 to 1m0s"},
		{name: "bad env log errors", env: map[string]string{"HELLO_LOG_ERRORS": "1000/s"}, wantErr: `HELLO_LOG_ERRORS="1000/s": want N/s`},
		{name: "bad flag log errors", args: []string{"--log-errors", "lots"}, wantErr: `invalid value "lots" for flag -log-errors`},
		{name: "port and listen", args: []string{"--port=1", "--listen=:2"}, wantErr: "give one"},
		{name: "bad port", args: []string{"--port=70000"}, wantErr: "not a port"},
		{name: "bad listen", args: []string{"--listen=8080"}, wantErr: "--listen"},
		{name: "bad flag", args: []string{"--nope"}, wantErr: "not defined"},
		{name: "stray argument", args: []string{"serve"}, wantErr: "unexpected arguments"},
		{name: "bad shutdown timeout", args: []string{"--shutdown-timeout=0s"}, wantErr: "must be positive"},
		{name: "bad env duration", env: map[string]string{"HELLO_CRASH_AFTER": "soon"}, wantErr: "HELLO_CRASH_AFTER"},
		{name: "negative env duration", env: map[string]string{"HELLO_STARTUP_DELAY": "-1s"}, wantErr: "HELLO_STARTUP_DELAY"},
		{name: "bad env bool", env: map[string]string{"HELLO_FAIL_AT_START": "maybe"}, wantErr: "HELLO_FAIL_AT_START"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			c, err := parseConfig(tt.args, getenv, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestUsageDocumentsKnobs(t *testing.T) {
	var out strings.Builder
	_, err := parseConfig([]string{"-h"}, func(string) string { return "" }, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{
		"for demos and tests", "-startup-delay", "-fail-at-start", "-unhealthy-after", "-crash-after",
		envStartupDelay, envFailAtStart, envUnhealthyAfter, envCrashAfter, "-print-version", "-port", "-listen",
		"-error-rate", "-latency", "-log-errors", envErrorRate, envLatency, envLogErrors, "GET /metrics",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("usage lacks %q", want)
		}
	}
}
