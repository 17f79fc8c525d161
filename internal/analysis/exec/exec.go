package exec

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/analysis"
)

// Result is how one run of a command ended.
type Result struct {
	// ExitCode is the exit status, or 128+N for death by signal N (the
	// shell's convention).
	ExitCode int
	// Output is the command's stdout and stderr together (its tail).
	Output []byte
}

// Runner runs a command. It is an interface so tests judge without
// processes.
type Runner interface {
	// Run runs argv (argv[0] an absolute path, no shell) with env added to
	// sysroll's environment, killing it at ctx's end. err is non-nil only
	// when the command could not be run or did not finish (not found, not
	// executable, ctx ended): a command that ran and exited is a Result.
	Run(ctx context.Context, argv, env []string) (Result, error)
}

// Vars are the values of a command's placeholders.
type Vars struct {
	// Instances are the set's instance names ({instances}).
	Instances []string
	// Addrs are the instances' 127.0.0.1:PORT addresses
	// ({instance_addrs}); nil when the service shares one socket (listen:),
	// where configuration refuses the placeholder.
	Addrs []string
	// Service is {service}.
	Service string
	// Window is {window}, already clipped.
	Window time.Duration
}

// Expand replaces the placeholders in each argument. Lists are joined by
// commas, the form a smoke test splits most easily; {window} is whole
// seconds with an s ("30s"), as in the queries.
func Expand(argv []string, v Vars) []string {
	r := strings.NewReplacer(
		"{instances}", strings.Join(v.Instances, ","),
		"{instance_addrs}", strings.Join(v.Addrs, ","),
		"{service}", v.Service,
		"{window}", strconv.Itoa(int(v.Window/time.Second))+"s",
	)
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = r.Replace(a)
	}
	return out
}

// Env is what the command also finds in its environment: the same values,
// for a script that would rather not parse arguments.
func Env(v Vars) []string {
	return []string{
		"SYSROLL_SERVICE=" + v.Service,
		"SYSROLL_INSTANCES=" + strings.Join(v.Instances, ","),
		"SYSROLL_INSTANCE_ADDRS=" + strings.Join(v.Addrs, ","),
		"SYSROLL_WINDOW=" + strconv.Itoa(int(v.Window/time.Second)) + "s",
	}
}

// Provider measures exec metrics.
type Provider struct {
	R Runner
	// Service is {service}.
	Service string
	// Window is the configured {window} (before clipping).
	Window time.Duration
	// Addr is an instance's address for {instance_addrs}; nil when the
	// service shares one socket.
	Addr func(instance string) string
}

// Measure runs m's command once for the canary instances, with m.Timeout.
// since is when the canary went back in traffic ({window} is clipped to it).
func (p *Provider) Measure(ctx context.Context, m analysis.Metric, set analysis.Set, instances []string, since, now time.Time) analysis.Measurement {
	v := Vars{Instances: instances, Service: p.Service, Window: clip(p.Window, since, now)}
	if p.Addr != nil {
		for _, in := range instances {
			v.Addrs = append(v.Addrs, p.Addr(in))
		}
	}
	argv := Expand(m.Exec, v)
	ms := analysis.Measurement{Metric: m.Name, Set: set, At: now, Queries: []string{quote(argv)}}
	timeout := m.Timeout
	if timeout <= 0 {
		timeout = analysis.DefaultExecTimeout
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := p.R.Run(rctx, argv, Env(v))
	switch {
	case err != nil && errors.Is(rctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil:
		ms.Err = fmt.Errorf("%w: %s: killed after its timeout %v%s", analysis.ErrProvider, argv[0], timeout, tailNote(res.Output))
	case err != nil:
		ms.Err = fmt.Errorf("%w: %s: %w", analysis.ErrProvider, argv[0], err)
	case res.ExitCode != 0:
		ms.Problem = analysis.Problemf(analysis.ExitStatus, "%s exited %d%s", argv[0], res.ExitCode, tailNote(res.Output))
	default:
		zero := 0.0
		ms.Value = &zero
	}
	return ms
}

// clip is {window} at now, as prom.ClipWindow: the window, clipped to the
// time since the set went back in traffic, whole seconds, at least 1s.
func clip(window time.Duration, since, now time.Time) time.Duration {
	if !since.IsZero() && now.Sub(since) < window {
		window = now.Sub(since)
	}
	s := (window + time.Second - 1) / time.Second
	return max(s, 1) * time.Second
}

// tailLines is how many of the output's last lines a message quotes, and
// tailChars how long each may be.
const (
	tailLines = 2
	tailChars = 200
)

// Tail is the last non-empty lines of out, each cut to tailChars.
func Tail(out []byte) []string {
	var lines []string
	for l := range strings.SplitSeq(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			if len(l) > tailChars {
				l = l[:tailChars] + "…"
			}
			lines = append(lines, l)
		}
	}
	if len(lines) > tailLines {
		lines = lines[len(lines)-tailLines:]
	}
	return lines
}

func tailNote(out []byte) string {
	t := Tail(out)
	if len(t) == 0 {
		return " (no output)"
	}
	return ": " + strings.Join(t, " / ")
}

// quote is argv as a human re-runs it: arguments with blanks or quotes in
// single quotes.
func quote(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`*?;&|<>()") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}
