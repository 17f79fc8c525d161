package host

import (
	"context"
	"fmt"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/sysroll/sysroll/internal/health"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/traffic"
)

// TrafficProof is the optional proof that a rollout loses no request: light
// traffic through the public entry point for the whole rollout, failures
// counted, and a breach of MaxFailures failing the batch in flight (which
// is then rolled back). A TrafficProof serves one rollout.
type TrafficProof struct {
	URL         string  // http:// or https://
	Rate        float64 // requests per second, MinProbeRate to MaxProbeRate
	MaxFailures int64   // failed requests tolerated, 0 or more

	stats atomic.Pointer[traffic.Stats]
}

// The range of TrafficProof.Rate. Below one request every ten seconds the
// proof proves little, and the generator's interval (1s/rate) must stay a
// positive time.Duration (1e-10 overflowed it and panicked in NewTicker);
// above 1000/s it is load, not a probe.
const (
	MinProbeRate = 0.1
	MaxProbeRate = 1000
)

// Validate checks the settings; a problem is bad input.
func (p *TrafficProof) Validate() error {
	u, err := url.Parse(p.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return inputf("--probe %q: want an http:// or https:// URL", p.URL)
	}
	// Written so that NaN (every comparison false) fails it too.
	if !(p.Rate >= MinProbeRate && p.Rate <= MaxProbeRate) {
		return inputf("--probe-rate %v: want requests per second from %v to %v", p.Rate, MinProbeRate, MaxProbeRate)
	}
	if p.MaxFailures < 0 {
		return inputf("--probe-max-failures %d: want 0 or more (the failed requests tolerated)", p.MaxFailures)
	}
	return nil
}

// entryPointUp checks, before anything is touched, that the entry point
// answers: a proof against one that answers no one would count its
// failures against the first instance (which was restarted, gated for the
// whole deadline and reverted, blamed for the URL). A failure is the
// operation's, not bad usage: the URL may be right and the balancer down.
func (p *TrafficProof) entryPointUp(ctx context.Context) error {
	if err := traffic.Check(ctx, p.URL, 3, 300*time.Millisecond, 2*time.Second); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("--probe %s does not answer before the rollout: %w; nothing was touched (check the URL and the balancer, or leave --probe out)", p.URL, err)
	}
	return nil
}

// Snapshot returns the counts so far; ok is false before the rollout started
// the traffic. Safe to call from any goroutine (a terminal redrawing).
func (p *TrafficProof) Snapshot() (s traffic.Snapshot, ok bool) {
	if p == nil {
		return s, false
	}
	st := p.stats.Load()
	if st == nil {
		return s, false
	}
	return st.Snapshot(), true
}

// start begins the traffic; stop ends it and returns the final counts.
func (p *TrafficProof) start(ctx context.Context) (stop func() traffic.Snapshot) {
	// The traffic outlives an interrupt: the step in progress is finished
	// or reverted under load too, and counted.
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	g := &traffic.Generator{URL: p.URL, Rate: p.Rate, Concurrency: 4}
	stats, wait := g.Start(ctx)
	p.stats.Store(stats)
	return func() traffic.Snapshot { cancel(); wait(); return stats.Snapshot() }
}

// probe fails once the failures exceed the threshold: every instance's gate
// runs it, so a breach fails the batch in flight.
func (p *TrafficProof) probe() health.Probe {
	return health.ProbeFunc(func(context.Context) health.Result {
		s := p.stats.Load()
		n := s.Failed()
		if n > p.MaxFailures {
			return health.Result{Detail: fmt.Sprintf("traffic probe %s: %d failed requests (more than %d tolerated)", p.URL, n, p.MaxFailures)}
		}
		return health.Result{OK: true, Detail: fmt.Sprintf("traffic probe: %d failed", n)}
	})
}

// withCounts adds the traffic counts so far to the instance events, so a
// reader of the stream sees failures appear as the rollout goes.
func (p *TrafficProof) withCounts(next rollout.Progress) rollout.Progress {
	return rollout.ProgressFunc(func(e rollout.Event) {
		if e.Type == rollout.EventInstanceDone || e.Type == rollout.EventInstanceFailed {
			if s, ok := p.Snapshot(); ok {
				e.Traffic = &s
			}
		}
		next.Event(e)
	})
}
