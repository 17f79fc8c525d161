// Command sysroll-bench measures zero downtime: it boots one throwaway
// systemd (a volatile systemd-nspawn container), runs HAProxy on the host,
// and upgrades a 4-instance hello service under steady load (32 clients in
// a closed loop, keep-alive, POST /work?ms=10) by five methods:
//
//	(a) switch the binary, `systemctl restart NAME.target`   (behind HAProxy)
//	(b) the guide's units, instance k Requires=+After= k-1,
//	    restart instance 1                                    (behind HAProxy)
//	(c) a shell loop: restart one, poll /healthz, next        (behind HAProxy)
//	(d) `sysroll deploy` with the HAProxy drain adapter
//	(e) `sysroll deploy` with a shared socket, no balancer
//
// each once to a good release and once to a release that fails at start,
// and prints a Markdown table per run and one over all runs: requests,
// failed requests by kind, p99 and max latency during the rollout, rollout
// time, and whether every instance ends on the new version. HAProxy runs
// strict (no retries, no redispatch): a retrying balancer hides lost
// requests as latency. Run it as root: `make bench` or `bash scripts/bench.sh`.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/testbed"
)

// options are the command line.
type options struct {
	runs        int
	methods     []method
	bad         bool
	json        bool
	requests    int
	concurrency int
	health      healthSettings
}

func main() {
	opts, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sysroll-bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, opts, os.Stdout)
	stop()
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "\ninterrupted: container, haproxy and temporary files removed")
		os.Exit(130)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "\nbenchmark failed: %v\n", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, errOut io.Writer) (options, error) {
	var o options
	var methods string
	fs := flag.NewFlagSet("sysroll-bench", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.IntVar(&o.runs, "runs", 3, "how many times to run every scenario")
	fs.StringVar(&methods, "methods", "a,b,c,d,e", "methods to run, comma-separated (a-e)")
	fs.BoolVar(&o.bad, "bad", true, "also upgrade each method to a release that fails at start")
	fs.BoolVar(&o.json, "json", false, "print the results as JSON on stdout (progress and tables on stderr)")
	fs.IntVar(&o.requests, "requests", 20000, "keep the load on until at least this many requests per scenario")
	fs.IntVar(&o.concurrency, "concurrency", 32, "clients in the closed loop")
	fs.DurationVar(&o.health.HealthyFor, "healthy-for", time.Second, "sysroll's healthy_for for (d) and (e)")
	fs.DurationVar(&o.health.Interval, "interval", 100*time.Millisecond, "sysroll's probe interval for (d) and (e)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.runs < 1 || o.requests < 1 || o.concurrency < 1 {
		return o, errors.New("--runs, --requests and --concurrency must be positive")
	}
	for _, k := range strings.Split(methods, ",") {
		k = strings.TrimSpace(k)
		i := slices.IndexFunc(allMethods, func(m method) bool { return m.Key == k })
		if i < 0 {
			return o, fmt.Errorf("--methods: no method %q (a, b, c, d, e)", k)
		}
		if !slices.ContainsFunc(o.methods, func(m method) bool { return m.Key == k }) {
			o.methods = append(o.methods, allMethods[i])
		}
	}
	slices.SortFunc(o.methods, func(a, b method) int { return strings.Compare(a.Key, b.Key) })
	return o, nil
}

// report is the --json output.
type report struct {
	Command     string        `json:"command"`
	Started     time.Time     `json:"started"`
	Wall        time.Duration `json:"wall_ns"`
	CPUs        int           `json:"cpus"`
	Concurrency int           `json:"concurrency"`
	HealthyFor  string        `json:"healthy_for"`
	Methods     []method      `json:"methods"`
	Results     []Result      `json:"results"`
}

func run(ctx context.Context, opts options, stdout io.Writer) error {
	if os.Geteuid() != 0 {
		return errors.New("the benchmark boots a systemd-nspawn container: run it as root")
	}
	started := time.Now()
	out := stdout
	if opts.json {
		out = os.Stderr
	}
	fmt.Fprintf(out, "sysroll-bench: %d run(s) of methods %s%s; %d clients, keep-alive, POST /work?ms=10; >= %d requests per scenario; %d CPUs\n",
		opts.runs, methodKeys(opts.methods), map[bool]string{true: " (+ failing release)", false: ""}[opts.bad],
		opts.concurrency, opts.requests, runtime.NumCPU())

	tmp, err := os.MkdirTemp("", "sysroll-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin, hpDir := filepath.Join(tmp, "bin"), filepath.Join(tmp, "haproxy")
	for _, d := range []string{bin, hpDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
	}
	// The bind must be readable by the DynamicUser instances.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	fmt.Fprintln(out, "building sysroll and examples/hello")
	if err := e2etest.Build(bin); err != nil {
		return err
	}

	b := &bench{opts: opts, out: out}
	var backends []backend
	for _, m := range opts.methods {
		if m.behindHAProxy() {
			backends = append(backends, m.backend())
		}
	}
	if len(backends) > 0 {
		hp, err := startHAProxy(ctx, hpDir, backends)
		if err != nil {
			return err
		}
		defer hp.stop()
		b.hp = hp
		fmt.Fprintf(out, "haproxy running (pid %d), admin socket %s\n", hp.cmd.Process.Pid, hp.socket)
	}

	c, err := testbed.Boot(ctx, testbed.Options{
		Name: fmt.Sprintf("sysroll-bench-%d", os.Getpid()),
		Binds: []testbed.Bind{
			{Host: bin, Container: binDir, ReadOnly: true},
			{Host: hpDir, Container: haproxyMount},
		},
	})
	if err != nil {
		return err
	}
	defer func() {
		if err := c.Close(); err != nil {
			fmt.Fprintln(out, "container teardown:", err)
		}
	}()
	b.c = c
	fmt.Fprintf(out, "container %s booted in %s\n", c.Name(), c.BootTime().Round(time.Millisecond))
	if err := b.writeReleases(); err != nil {
		return err
	}

	var all []Result
	for run := 1; run <= opts.runs; run++ {
		var rs []Result
		for _, m := range opts.methods {
			for _, bad := range []bool{false, true} {
				if bad && !opts.bad {
					continue
				}
				r, err := b.scenario(ctx, run, m, bad)
				if err != nil {
					return fmt.Errorf("run %d: %w", run, err)
				}
				printResult(out, r)
				rs = append(rs, r)
			}
		}
		all = append(all, rs...)
		fmt.Fprintf(out, "\n### Run %d of %d\n\n%s\n", run, opts.runs, runTable(rs))
	}
	wall := time.Since(started)
	fmt.Fprintf(out, "### All %d runs\n\n%s\n%s\n", opts.runs, aggregateTable(all), legend(opts))
	fmt.Fprintf(out, "wall time %s\n", wall.Round(time.Second))
	if opts.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(report{
			Command: strings.Join(append([]string{"sysroll-bench"}, os.Args[1:]...), " "), Started: started, Wall: wall, CPUs: runtime.NumCPU(),
			Concurrency: opts.concurrency, HealthyFor: opts.health.HealthyFor.String(), Methods: opts.methods, Results: all,
		})
	}
	return nil
}

// writeReleases writes v1, v2 and v3 (which fails at start): each a
// directory whose `hello` runs the real hello as that version.
func (b *bench) writeReleases() error {
	for _, r := range []struct {
		version, flags string
	}{{startRelease, ""}, {goodRelease, ""}, {badRelease, " --fail-at-start"}} {
		script := fmt.Sprintf("#!/bin/sh\nexec %s/hello --version %s%s \"$@\"\n", binDir, r.version, r.flags)
		if err := b.c.WriteFile(filepath.Join(releasesDir, r.version, "hello"), []byte(script), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// printResult is the progress line of one scenario, with the evidence
// behind any failed request.
func printResult(w io.Writer, r Result) {
	fmt.Fprintf(w, "run %d (%s) -> %-22s %7s requests, %5d failed %-22s p99 %6s, max %6s, rollout %5.1fs, exit %d, serving %s\n",
		r.Run, r.Method, releaseLabel(r.Bad)+":", thousands(r.Requests), r.Failed, "("+kinds(r.Kinds)+"),",
		ms(r.P99), ms(r.Max), r.Rollout.Seconds(), r.Exit, servingSummary(r.Serving))
	if r.Failed > 0 {
		fmt.Fprintf(w, "    failures from %+.2fs to %+.2fs of the rollout's start (%d of them inside it)\n",
			r.FirstFailure.Seconds(), r.LastFailure.Seconds(), r.WindowFailed)
		for _, k := range slices.Sorted(maps.Keys(r.Errors)) {
			fmt.Fprintf(w, "    %s: %s\n", k, r.Errors[k])
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "    %s\n", n)
	}
}

// legend says how to read the tables, for the README.
func legend(o options) string {
	return fmt.Sprintf(`- Load: %d clients in a closed loop, keep-alive, POST /work?ms=10 (~10 ms of work), from %s before the upgrade
  until at least %s requests and %s after it. *requests* and *failed* count all of it; *p99* and *max* are the
  latency of the requests that overlapped the rollout. HAProxy runs strict: retries 0, no redispatch,
  checks every 100 ms, fall 1, rise 2.
- *rollout s* is the upgrade command's wall time. (a) to (c) return once systemd reports the restart jobs done
  (the loop: once the last /healthz answered) and do not wait for HAProxy to see the servers UP again. (d) and (e)
  gate every instance on READY=1 plus healthy_for %s without a restart (probe every %s), and (d) also waits until
  HAProxy itself reports the server UP before touching the next one.
- The failing release exits before it is ready (--fail-at-start). *exit* is the upgrade command's exit status;
  *serving after* is what each instance answers (GET /) once the load stopped.
`, o.concurrency, warmup, thousands(int64(o.requests)), cooldown, o.health.HealthyFor, o.health.Interval)
}

func methodKeys(ms []method) string {
	var k []string
	for _, m := range ms {
		k = append(k, m.Key)
	}
	return strings.Join(k, ",")
}
