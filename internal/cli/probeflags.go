package cli

import (
	"context"
	"fmt"
	"net/url"

	"github.com/spf13/cobra"
	"github.com/sysroll/sysroll/internal/health"
	"github.com/sysroll/sysroll/internal/traffic"
)

// trafficFlags is the optional traffic proof of a rollout: light requests
// through the public entry point, failures counted and shown, and a breach
// of the threshold failing the batch in flight.
type trafficFlags struct {
	url         string
	rate        float64
	maxFailures int64
}

func (f *trafficFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.url, "probe", "", "send light traffic to this URL (the public entry point) while rolling, and count failed requests")
	fl.Float64Var(&f.rate, "probe-rate", 20, "requests per second for --probe")
	fl.Int64Var(&f.maxFailures, "probe-max-failures", 0, "failed --probe requests tolerated; one more fails the batch in flight (and rolls it back)")
}

func (f *trafficFlags) validate() error {
	if f.url == "" {
		return nil
	}
	u, err := url.Parse(f.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("--probe %q: want an http:// or https:// URL", f.url)
	}
	if f.rate <= 0 || f.rate > 1000 {
		return usagef("--probe-rate %v: want 0 < rate <= 1000", f.rate)
	}
	if f.maxFailures < 0 {
		return usagef("--probe-max-failures must not be negative")
	}
	return nil
}

// start begins the traffic; stop ends it and returns the final counts.
func (f *trafficFlags) start(ctx context.Context) (stats *traffic.Stats, stop func() traffic.Snapshot) {
	if f.url == "" {
		return nil, func() traffic.Snapshot { return traffic.Snapshot{} }
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	g := &traffic.Generator{URL: f.url, Rate: f.rate, Concurrency: 4}
	stats, wait := g.Start(ctx)
	return stats, func() traffic.Snapshot { cancel(); wait(); return stats.Snapshot() }
}

// probe is a health probe every instance's gate runs: it fails once the
// traffic failures exceed the threshold, which fails the batch in flight.
func (f *trafficFlags) probe(stats *traffic.Stats) health.Probe {
	return health.ProbeFunc(func(context.Context) health.Result {
		n := stats.Failed()
		if n > f.maxFailures {
			return health.Result{Detail: fmt.Sprintf("traffic probe %s: %d failed requests (more than %d tolerated)", f.url, n, f.maxFailures)}
		}
		return health.Result{OK: true, Detail: fmt.Sprintf("traffic probe: %d failed", n)}
	})
}
