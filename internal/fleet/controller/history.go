package controller

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
)

// FleetHistoryV1 names the document of `sysroll fleet history --json`.
const FleetHistoryV1 = "sysroll.fleet-history/v1"

// HistoryHost is what a fleet history needs of a host: the handshake and
// the host's own history. SSHHost is one.
type HistoryHost interface {
	buildHost
	Connect(ctx context.Context) error
	// History is `history NAME --json --limit N` (0: every rollout).
	History(ctx context.Context, service string, limit int) (schema.History, error)
}

// FleetHistory is every host's history in one: the engine's history
// document (schema.History: one definition of a rollout record), each
// record's host the inventory name of the host it ran on, and the hosts
// that could not be read.
type FleetHistory struct {
	schema.History
	// Unreachable lists the hosts whose history could not be read, and why.
	Unreachable []HostError `json:"unreachable"`
}

// HostError is a host and why it could not be read.
type HostError struct {
	Host  string `json:"host"`
	Error string `json:"error"`
}

// HistoryOptions are one fleet history's.
type HistoryOptions struct {
	Service string
	// Limit is each host's, newest first (0: all).
	Limit int
	// Parallel and HostTimeout as StatusOptions' (8, 30 s when 0).
	Parallel    int
	HostTimeout time.Duration
}

// History reads every host's history, bounded in parallel, and merges it
// (Merge). A host that cannot be read is an entry of Unreachable.
func History(ctx context.Context, hosts []HistoryHost, o HistoryOptions) *FleetHistory {
	if o.Parallel <= 0 {
		o.Parallel = 8
	}
	if o.HostTimeout <= 0 {
		o.HostTimeout = 30 * time.Second
	}
	per := make([]schema.History, len(hosts))
	errs := make([]error, len(hosts))
	sem := make(chan struct{}, o.Parallel)
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			hctx, cancel := context.WithTimeout(ctx, o.HostTimeout)
			defer cancel()
			per[i], errs[i] = hostHistory(hctx, h, o)
		})
	}
	wg.Wait()
	fh := &FleetHistory{History: schema.History{Schema: FleetHistoryV1, Service: o.Service, Rollouts: []release.Record{}}, Unreachable: []HostError{}}
	for i, h := range hosts {
		if errs[i] != nil {
			fh.Unreachable = append(fh.Unreachable, HostError{Host: h.Name(), Error: errs[i].Error()})
			continue
		}
		for _, rec := range per[i].Rollouts {
			rec.Host = h.Name()
			fh.Rollouts = append(fh.Rollouts, rec)
		}
	}
	fh.Rollouts = Merge(fh.Rollouts)
	return fh
}

func hostHistory(ctx context.Context, h HistoryHost, o HistoryOptions) (schema.History, error) {
	if err := h.Connect(ctx); err != nil {
		return schema.History{}, err
	}
	if _, _, err := handshake(ctx, h); err != nil {
		return schema.History{}, err
	}
	hist, err := h.History(ctx, o.Service, o.Limit)
	if err != nil {
		return hist, fmt.Errorf("%w (is %s applied there?)", err, o.Service)
	}
	return hist, nil
}

// Merge orders every host's records newest first, the records of one
// fleet rollout (one fleet_id) together, at the place of its newest
// record, in host order by start within it: a fleet rollout reads as one
// block of rows, a host's local rollouts between them. It is pure.
func Merge(recs []release.Record) []release.Record {
	newest := map[string]time.Time{}
	for _, r := range recs {
		if r.FleetID != "" && r.Started.After(newest[r.FleetID]) {
			newest[r.FleetID] = r.Started
		}
	}
	key := func(r release.Record) time.Time {
		if r.FleetID != "" {
			return newest[r.FleetID]
		}
		return r.Started
	}
	out := slices.Clone(recs)
	slices.SortStableFunc(out, func(a, b release.Record) int {
		if c := key(b).Compare(key(a)); c != 0 {
			return c
		}
		if c := cmp.Compare(a.FleetID, b.FleetID); c != 0 {
			return c
		}
		if a.FleetID != "" { // one fleet rollout: in the order its hosts started
			if c := a.Started.Compare(b.Started); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.Host, b.Host)
	})
	return out
}
