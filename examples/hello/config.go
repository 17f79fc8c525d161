package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// defaultPort is used when neither --port nor --listen is given.
const defaultPort = 8080

// The environment variables that set the demo and test knobs (and the
// instance), so a release can be made slow or broken without editing the unit.
const (
	envInstance       = "HELLO_INSTANCE"
	envStartupDelay   = "HELLO_STARTUP_DELAY"
	envFailAtStart    = "HELLO_FAIL_AT_START"
	envUnhealthyAfter = "HELLO_UNHEALTHY_AFTER"
	envCrashAfter     = "HELLO_CRASH_AFTER"
	envErrorRate      = "HELLO_ERROR_RATE"
	envErrorAfter     = "HELLO_ERROR_AFTER"
	envLatency        = "HELLO_LATENCY"
	envLogErrors      = "HELLO_LOG_ERRORS"
)

// maxLatency bounds --latency like /work?ms=: a typo must not hold every
// request for hours.
const maxLatency = maxWork

// config is the parsed command line.
type config struct {
	listen          string // address used when systemd passes no socket
	port            int    // --port, 0 if not given
	socketName      string // FileDescriptorName= of the socket to use
	version         string
	instance        string // empty: the port
	printVersion    bool
	shutdownTimeout time.Duration

	// Demo and test knobs.
	startupDelay   time.Duration // sleep before READY=1
	failAtStart    bool          // exit 1 before READY=1 (after startupDelay)
	unhealthyAfter time.Duration // /healthz answers 503 this long after ready
	crashAfter     time.Duration // exit 2 this long after ready

	// Knobs that keep the probes green but make the metrics worse, for
	// canary analysis; they apply to the work endpoints (GET /, /work).
	errorRate  fraction      // that share of requests answered 500
	errorAfter time.Duration // --error-rate applies only this long after ready
	latency    time.Duration // added before each answer
	logErrors  logRate       // <3> lines on stderr (journal priority err)
}

// parseConfig reads flags, with the knobs' defaults from the environment
// (a flag wins over its variable). It returns flag.ErrHelp for -h.
func parseConfig(args []string, getenv func(string) string, output io.Writer) (config, error) {
	var cfg config
	if err := cfg.fromEnv(getenv); err != nil {
		return cfg, err
	}
	fs := flag.NewFlagSet("hello", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.IntVar(&cfg.port, "port", 0, fmt.Sprintf("listen on 127.0.0.1:`N` (default %d) unless systemd passes a socket", defaultPort))
	fs.StringVar(&cfg.listen, "listen", "", "listen on `ADDR` (host:port) unless systemd passes a socket; instead of --port")
	fs.StringVar(&cfg.socketName, "socket-name", "", "use the inherited socket named `NAME` (FileDescriptorName=) when systemd passes several")
	fs.StringVar(&cfg.version, "version", version, "version `V` to report (stamped at build time with -ldflags -X main.version=V)")
	fs.BoolVar(&cfg.printVersion, "print-version", false, "print the version and exit (same as the argument \"version\")")
	fs.StringVar(&cfg.instance, "instance", cfg.instance, "instance `ID` to report (env "+envInstance+"; default the port)")
	fs.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", 5*time.Second, "how long in-flight requests may finish after SIGTERM; keep below TimeoutStopSec=")
	fs.DurationVar(&cfg.startupDelay, "startup-delay", cfg.startupDelay, "demo knob: wait this long before becoming ready (env "+envStartupDelay+")")
	fs.BoolVar(&cfg.failAtStart, "fail-at-start", cfg.failAtStart, "demo knob: exit 1 before becoming ready (env "+envFailAtStart+")")
	fs.DurationVar(&cfg.unhealthyAfter, "unhealthy-after", cfg.unhealthyAfter, "demo knob: /healthz answers 503 this long after ready (env "+envUnhealthyAfter+")")
	fs.DurationVar(&cfg.crashAfter, "crash-after", cfg.crashAfter, "demo knob: exit 2 this long after ready (env "+envCrashAfter+")")
	fs.Var(&cfg.errorRate, "error-rate", "demo knob: answer this `share` of work requests (GET /, /work) with 500, every 1/share-th one; /healthz stays 200 (env "+envErrorRate+")")
	fs.DurationVar(&cfg.errorAfter, "error-after", cfg.errorAfter, "demo knob: --error-rate starts this long after ready, so a release turns bad after its canary analysis (env "+envErrorAfter+")")
	fs.DurationVar(&cfg.latency, "latency", cfg.latency, "demo knob: add this much latency to each work request (env "+envLatency+")")
	fs.Var(&cfg.logErrors, "log-errors", "demo knob: log `RATE` error lines on stderr with the <3> prefix (journal priority err): a share of work requests (0.1) or lines per second (5/s) (env "+envLogErrors+")")
	fs.Usage = func() {
		fmt.Fprint(output, `Usage: hello [flags] [version]

The guide's "My Go Application", built on sysroll's graceful package.
GET / says hello, GET /healthz reports health, GET /work?ms=N sleeps N ms.

Flags:
`)
		fs.PrintDefaults()
		fmt.Fprint(output, `
The "demo knob" flags are for demos and tests: they make a release slow,
broken or crashing on purpose, or healthy by its probes but worse by its
metrics (GET /metrics). Each can also be set in the environment
(HELLO_STARTUP_DELAY=3s, HELLO_FAIL_AT_START=1, HELLO_UNHEALTHY_AFTER=10s,
HELLO_CRASH_AFTER=5s, HELLO_ERROR_RATE=0.05, HELLO_ERROR_AFTER=20s, HELLO_LATENCY=50ms,
HELLO_LOG_ERRORS=5/s); a flag wins over its variable.
`)
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}

	switch rest := fs.Args(); {
	case len(rest) == 1 && rest[0] == "version":
		cfg.printVersion = true
	case len(rest) > 0:
		return cfg, fmt.Errorf("unexpected arguments %q", rest)
	}
	return cfg, cfg.finish(fs)
}

// finish sets cfg.listen from --port or --listen and checks the values.
func (cfg *config) finish(fs *flag.FlagSet) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case set["port"] && set["listen"]:
		return fmt.Errorf("--port and --listen: give one")
	case set["listen"]:
		if _, _, err := net.SplitHostPort(cfg.listen); err != nil {
			return fmt.Errorf("--listen %q: %w", cfg.listen, err)
		}
	case set["port"]:
		if cfg.port <= 0 || cfg.port > 65535 {
			return fmt.Errorf("--port %d: not a port", cfg.port)
		}
		cfg.listen = net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.port))
	default:
		cfg.listen = net.JoinHostPort("127.0.0.1", strconv.Itoa(defaultPort))
	}
	if cfg.shutdownTimeout <= 0 {
		return fmt.Errorf("--shutdown-timeout %s: must be positive", cfg.shutdownTimeout)
	}
	if cfg.latency < 0 || cfg.latency > maxLatency {
		return fmt.Errorf("--latency (or %s) %s: want 0 to %s", envLatency, cfg.latency, maxLatency)
	}
	return nil
}

// fromEnv sets the knobs' defaults from the environment.
func (cfg *config) fromEnv(getenv func(string) string) error {
	cfg.instance = getenv(envInstance)
	durations := []struct {
		key string
		dst *time.Duration
	}{
		{envStartupDelay, &cfg.startupDelay},
		{envUnhealthyAfter, &cfg.unhealthyAfter},
		{envCrashAfter, &cfg.crashAfter},
		{envErrorAfter, &cfg.errorAfter},
		{envLatency, &cfg.latency},
	}
	for _, d := range durations {
		v := getenv(d.key)
		if v == "" {
			continue
		}
		parsed, err := time.ParseDuration(v)
		if err != nil || parsed < 0 {
			return fmt.Errorf("%s=%q: want a duration like 2s", d.key, v)
		}
		*d.dst = parsed
	}
	if v := getenv(envFailAtStart); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%s=%q: want 1 or 0", envFailAtStart, v)
		}
		cfg.failAtStart = b
	}
	if v := getenv(envErrorRate); v != "" {
		f, err := parseFraction(v)
		if err != nil {
			return fmt.Errorf("%s=%w", envErrorRate, err)
		}
		cfg.errorRate = f
	}
	if v := getenv(envLogErrors); v != "" {
		l, err := parseLogRate(v)
		if err != nil {
			return fmt.Errorf("%s=%w", envLogErrors, err)
		}
		cfg.logErrors = l
	}
	return nil
}
