package journal

import (
	"time"

	"github.com/sysroll/sysroll/internal/fleet/plan"
)

// TakeOver is one controller going on with a fleet rollout another one
// ran: who, from whom, and whether the other's lease had expired. The
// journal and every claim keep the list, so a host shows who holds it and
// how it came to.
type TakeOver struct {
	By   string    `json:"by"`
	From string    `json:"from"`
	At   time.Time `json:"at"`
	// Silent is how long From had not been heard of (a Go duration).
	Silent string `json:"silent"`
	// Forced: From's lease was still live (--take-over).
	Forced bool `json:"forced,omitempty"`
}

// maxTakeOvers bounds the take-overs a document may list.
const maxTakeOvers = 100

// Owner is who drives the rollout now: the last controller that took it
// over, else the one that started it.
func (j *Journal) Owner() string { return owner(j.Controller, j.TakeOvers) }

// Owner is who drove the rollout when c was written (Journal.Owner).
func (c *Claim) Owner() string { return owner(c.Controller, c.TakeOvers) }

func owner(started string, t []TakeOver) string {
	if len(t) > 0 {
		return t[len(t)-1].By
	}
	return started
}

// Heard is when c's controller was last heard of: its heartbeat, or the
// last change of this host's part when later (a claim written before
// heartbeats existed has only that).
func (c *Claim) Heard() time.Time {
	if c.Part.Updated.After(c.Heartbeat) {
		return c.Part.Updated
	}
	return c.Heartbeat
}

// Lease is how long c's controller promised to go at most without a
// heartbeat: its strategy's lease, else plan.DefaultLease.
func (c *Claim) Lease() time.Duration {
	if d, err := time.ParseDuration(c.Strategy.Lease); err == nil && d > 0 {
		return d
	}
	return plan.DefaultLease
}

// Silence is how long c's controller has not been heard of at now, and
// whether its lease is still live: a finished or released claim holds
// nothing. The
// clocks are two machines' (the writer's heartbeat, the reader's now):
// skew beyond the lease makes a live controller look gone, which is why
// the lease is tens of seconds, not one.
func (c *Claim) Silence(now time.Time) (silent time.Duration, live bool) {
	silent = max(now.Sub(c.Heard()), 0)
	return silent, !c.Finished && !c.Released && silent < c.Lease()
}

// takeOvers checks a take-over list.
func (p *problems) takeOvers(t []TakeOver) {
	if len(t) > maxTakeOvers {
		p.add("%d take-overs, more than %d", len(t), maxTakeOvers)
		return
	}
	for i, to := range t {
		for _, f := range [2][2]string{{"by", to.By}, {"from", to.From}} {
			if f[1] == "" {
				p.add("take-over %d: no %s", i+1, f[0])
			} else if why := textProblem(f[1], maxText); why != "" {
				p.add("take-over %d: %s %s", i+1, f[0], why)
			}
		}
		if to.At.IsZero() {
			p.add("take-over %d: no time", i+1)
		}
		if d, err := time.ParseDuration(to.Silent); err != nil || d < 0 {
			p.add("take-over %d: silent %q is not a duration", i+1, clip(to.Silent))
		}
	}
}
