package fleetbench

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Line is one --json line of `sysroll fleet deploy`: a host's event with
// "host" added, or the controller's "fleet-note" and "fleet-summary".
type Line struct {
	Type    string    `json:"type"`
	Host    string    `json:"host"`
	Time    time.Time `json:"time"`
	Message string    `json:"message"`
	Result  string    `json:"result"`
	Hosts   []struct {
		Host   string `json:"host"`
		Result string `json:"result"`
		Sent   int64  `json:"sent_bytes"`
		Detail string `json:"detail"`
	} `json:"hosts"`
}

// HostTimes is when each thing happened to one host in a rollout, as the
// controller's stream tells it.
type HostTimes struct {
	Batch int // 0-based host batch
	// Planned is the controller's "host batch K of N" note: the preflight
	// passed and the batch's steps are about to start.
	Planned time.Time
	// Started is the controller's "started UNIT" note: the claim is
	// written and systemd-run returned.
	Started time.Time
	// First and End are the host step's first event and its rollout-end,
	// in the host's clock (the containers share the machine's).
	First, End time.Time
	// Done is the controller's "host batch K: ACTION" note: every step of
	// the batch followed to its end and its record read.
	Done time.Time
}

// Own is the host's own rollout time: its step's first event to its end.
func (h HostTimes) Own() time.Duration { return h.End.Sub(h.First) }

// Rollout is what one controller run's stream tells.
type Rollout struct {
	Hosts   map[string]*HostTimes
	Batches [][]string
	// Copied is the controller's last "copy: N bytes sent" note: every
	// host connected, handshaken, checked, copied to and staged.
	Copied time.Time
	// Sent is the bytes the summary says were copied, over every host.
	Sent int64
	// Failed is the summary's hosts that did not succeed, as
	// "host:result (detail)".
	Failed []string
}

var (
	batchPlannedRE = regexp.MustCompile(`^host batch ([0-9]+) of [0-9]+: (.*)$`)
	batchDoneRE    = regexp.MustCompile(`^host batch ([0-9]+): `)
)

// ParseRollout reads a controller's --json output. It fails on a line
// that is not JSON, on no summary, and on a host of a batch with an
// event missing (no start note, no first event or no rollout-end).
func ParseRollout(out string) (*Rollout, error) {
	r := &Rollout{Hosts: map[string]*HostTimes{}}
	summary := false
	batchOf := map[string]int{}
	for l := range strings.Lines(out) {
		var x Line
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			return nil, fmt.Errorf("not a JSON line (%w): %q", err, l)
		}
		switch {
		case x.Type == "fleet-summary":
			summary = true
			for _, h := range x.Hosts {
				r.Sent += h.Sent
				if h.Result != "succeeded" {
					r.Failed = append(r.Failed, h.Host+":"+h.Result+" ("+h.Detail+")")
				}
			}
		case x.Type == "fleet-note" && x.Host == "":
			if m := batchPlannedRE.FindStringSubmatch(x.Message); m != nil {
				k, _ := strconv.Atoi(m[1])
				hosts := strings.Split(m[2], ", ")
				if k != len(r.Batches)+1 {
					return nil, fmt.Errorf("host batch %d announced after %d batches", k, len(r.Batches))
				}
				r.Batches = append(r.Batches, hosts)
				for _, h := range hosts {
					batchOf[h] = k - 1
					r.Hosts[h] = &HostTimes{Batch: k - 1, Planned: x.Time}
				}
			} else if m := batchDoneRE.FindStringSubmatch(x.Message); m != nil {
				k, _ := strconv.Atoi(m[1])
				if k < 1 || k > len(r.Batches) {
					return nil, fmt.Errorf("host batch %d ended, of %d announced", k, len(r.Batches))
				}
				for _, h := range r.Batches[k-1] {
					r.Hosts[h].Done = x.Time
				}
			}
		case x.Type == "fleet-note" && strings.HasPrefix(x.Message, "copy: "):
			if x.Time.After(r.Copied) {
				r.Copied = x.Time
			}
		case x.Type == "fleet-note":
			if h := r.Hosts[x.Host]; h != nil && strings.HasPrefix(x.Message, "started ") && h.Started.IsZero() {
				h.Started = x.Time
			}
		case x.Host != "":
			h := r.Hosts[x.Host]
			if h == nil {
				continue // a rollback's events after its batch: not timed
			}
			if h.First.IsZero() {
				h.First = x.Time
			}
			if x.Type == "rollout-end" && h.End.IsZero() {
				h.End = x.Time
			}
		}
	}
	if !summary {
		return nil, errors.New("no fleet-summary line")
	}
	var errs []error
	for _, b := range r.Batches {
		for _, n := range b {
			h := r.Hosts[n]
			if h.Started.IsZero() || h.First.IsZero() || h.End.IsZero() || h.Done.IsZero() {
				errs = append(errs, fmt.Errorf("host %s: started %v, first event %v, rollout-end %v, batch end %v: one is missing",
					n, !h.Started.IsZero(), !h.First.IsZero(), !h.End.IsZero(), !h.Done.IsZero()))
			}
		}
	}
	return r, errors.Join(errs...)
}

// SlowestSum is the sum over the host batches of the slowest host's own
// rollout time: what the rollout would take if the controller cost
// nothing.
func (r *Rollout) SlowestSum() time.Duration {
	var sum time.Duration
	for _, b := range r.Batches {
		var slowest time.Duration
		for _, n := range b {
			slowest = max(slowest, r.Hosts[n].Own())
		}
		sum += slowest
	}
	return sum
}

// Overhead is where a rollout's time went besides the hosts' own work,
// from the controller's start (begin) to its exit (end):
//
//	end - begin = Prepare + Σ slowest own + InBatch + Between + Tail
type Overhead struct {
	// Prepare is the start to the first batch's note: connect,
	// handshake, copy, stage, plan, journal, claims, the first preflight;
	// Copy is its part up to the copy notes (stage included).
	Prepare, Copy time.Duration
	// InBatch is, summed over the batches, the batch's note to its end
	// note less its slowest host's own time: claim, systemd-run, the
	// step's launch, follow's end and the record read.
	InBatch time.Duration
	// Between is, summed, a batch's end note to the next one's note:
	// the evaluation and the next preflight.
	Between time.Duration
	// Tail is the last batch's end note to the exit: the journal's end,
	// every claim finished, the summary.
	Tail time.Duration
}

// Overhead splits end - begin; r has at least one batch (ParseRollout
// of a deploy that rolled).
func (r *Rollout) Overhead(begin, end time.Time) Overhead {
	var o Overhead
	var prevDone time.Time
	for k, b := range r.Batches {
		first := r.Hosts[b[0]]
		if k == 0 {
			o.Prepare = first.Planned.Sub(begin)
			if !r.Copied.IsZero() {
				o.Copy = r.Copied.Sub(begin)
			}
		} else {
			o.Between += first.Planned.Sub(prevDone)
		}
		var slowest time.Duration
		for _, n := range b {
			slowest = max(slowest, r.Hosts[n].Own())
		}
		o.InBatch += first.Done.Sub(first.Planned) - slowest
		prevDone = first.Done
	}
	o.Tail = end.Sub(prevDone)
	return o
}
