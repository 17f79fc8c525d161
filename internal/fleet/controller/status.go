package controller

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sysroll/sysroll/internal/host"
	"github.com/sysroll/sysroll/internal/schema"
)

// FleetStatusV1 names the document of `sysroll fleet status --json`.
const FleetStatusV1 = "sysroll.fleet-status/v1"

// StatusHost is what a fleet status needs of a host: the handshake, the
// host's own status, and its clock. SSHHost is one.
type StatusHost interface {
	buildHost
	Connect(ctx context.Context) error
	Status(ctx context.Context, service string) (schema.Status, error)
	// Clock is the host's wall clock (`date +%s.%N`).
	Clock(ctx context.Context) (time.Time, error)
}

// StatusOptions are one fleet status's.
type StatusOptions struct {
	Service string
	// Parallel bounds the hosts queried at once (8 when 0): a status is
	// cheap, but a large fleet should not open every session at once.
	Parallel int
	// HostTimeout bounds each host's whole query (30 s when 0), so one
	// hung host makes the status slow by that much at most, never stuck.
	HostTimeout time.Duration
	// MaxSkew is the clock skew flagged (1 s when 0): event times and
	// rollout records are compared across hosts.
	MaxSkew time.Duration
	// Now is the controller's clock (time.Now when nil).
	Now func() time.Time
}

// HostStatus is one host's entry of a fleet status.
type HostStatus struct {
	Host      string `json:"host"`
	Reachable bool   `json:"reachable"`
	// Error is why the host could not be read; Status is nil then.
	Error  string         `json:"error,omitempty"`
	Status *schema.Status `json:"status,omitempty"`
	// ClockSkewSec is the host's clock minus the controller's at the
	// middle of the request; absent when it could not be read.
	ClockSkewSec *float64 `json:"clock_skew_seconds,omitempty"`
	// SentBytes is the sysroll build copied to the host (0 when there).
	SentBytes int64 `json:"sent_bytes"`
	// Problems fail the status (exit 1): unreachable, an instance not
	// healthy, an interrupted rollout. Warnings do not.
	Problems []string `json:"problems"`
	Warnings []string `json:"warnings"`
}

// FleetStatus is `sysroll fleet status FILE --json`.
type FleetStatus struct {
	Schema  string       `json:"schema"`
	Service string       `json:"service"`
	Hosts   []HostStatus `json:"hosts"`
	// Releases counts the instances running each release, fleet-wide.
	Releases map[string]int `json:"releases"`
	// MixedReleases: more than one release runs across the fleet.
	MixedReleases bool `json:"mixed_releases"`
	// UnitHashes maps each installed unit files' hash to the hosts that
	// have it; UnitDrift: more than one (units edited or applied from
	// different files).
	UnitHashes map[string][]string `json:"unit_hashes"`
	UnitDrift  bool                `json:"unit_drift"`
	// Warnings are the fleet-wide findings; OK: no host has a problem.
	Warnings []string `json:"warnings"`
	OK       bool     `json:"ok"`
}

// Status queries every host, bounded in parallel, and assesses the fleet.
// An unreachable host is an entry, not an error: the status is what the
// operator needs most when a host is in trouble.
func Status(ctx context.Context, hosts []StatusHost, o StatusOptions) *FleetStatus {
	if o.Parallel <= 0 {
		o.Parallel = 8
	}
	if o.HostTimeout <= 0 {
		o.HostTimeout = 30 * time.Second
	}
	if o.MaxSkew <= 0 {
		o.MaxSkew = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	out := make([]HostStatus, len(hosts))
	sem := make(chan struct{}, o.Parallel)
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			hctx, cancel := context.WithTimeout(ctx, o.HostTimeout)
			defer cancel()
			out[i] = queryHost(hctx, h, o)
		})
	}
	wg.Wait()
	return Assess(o.Service, out, o.MaxSkew)
}

// queryHost is one host's entry, before the fleet-wide assessment.
func queryHost(ctx context.Context, h StatusHost, o StatusOptions) HostStatus {
	hs := HostStatus{Host: h.Name()}
	fail := func(err error) HostStatus {
		hs.Error = err.Error()
		return hs
	}
	if err := h.Connect(ctx); err != nil {
		return fail(err)
	}
	hs.Reachable = true
	_, sent, err := handshake(ctx, h)
	hs.SentBytes = sent
	if err != nil {
		return fail(err)
	}
	st, err := h.Status(ctx, o.Service)
	if err != nil {
		return fail(fmt.Errorf("%w (is %s applied there? `sysroll fleet apply FILE` installs it)", err, o.Service))
	}
	hs.Status = &st
	before := o.Now()
	at, err := h.Clock(ctx)
	after := o.Now()
	if err == nil {
		mid := before.Add(after.Sub(before) / 2)
		skew := at.Sub(mid).Seconds()
		hs.ClockSkewSec = &skew
	} else {
		hs.Warnings = append(hs.Warnings, "clock not read: "+err.Error())
	}
	return hs
}

// Assess fills in every host's problems and warnings and the fleet-wide
// findings; it decides, from what was read, without touching a host.
func Assess(service string, hosts []HostStatus, maxSkew time.Duration) *FleetStatus {
	fs := &FleetStatus{Schema: FleetStatusV1, Service: service, Hosts: hosts,
		Releases: map[string]int{}, UnitHashes: map[string][]string{}, Warnings: []string{}, OK: true}
	for i := range fs.Hosts {
		h := &fs.Hosts[i]
		h.Problems, h.Warnings = []string{}, append([]string{}, h.Warnings...)
		switch {
		case !h.Reachable:
			h.Problems = append(h.Problems, "unreachable: "+h.Error)
		case h.Status == nil:
			h.Problems = append(h.Problems, "status not read: "+h.Error)
		default:
			h.Problems = append(h.Problems, host.StatusProblems(h.Status)...)
			for _, in := range h.Status.Instances {
				if in.Release != "" {
					fs.Releases[in.Release]++
				}
			}
			if h.Status.Mixed {
				h.Warnings = append(h.Warnings, "mixed releases on the host")
			}
			if u := h.Status.UnitSHA256; u != "" {
				fs.UnitHashes[u] = append(fs.UnitHashes[u], h.Host)
			}
		}
		if s := h.ClockSkewSec; s != nil && (*s > maxSkew.Seconds() || -*s > maxSkew.Seconds()) {
			h.Warnings = append(h.Warnings, fmt.Sprintf("clock skew %+.3fs (more than %s): fix NTP there, event times and records compare across hosts", *s, maxSkew))
		}
		if len(h.Problems) > 0 {
			fs.OK = false
		}
	}
	if len(fs.Releases) > 1 {
		fs.MixedReleases = true
		var parts []string
		for _, r := range slices.Sorted(maps.Keys(fs.Releases)) {
			parts = append(parts, fmt.Sprintf("%s on %d", r, fs.Releases[r]))
		}
		fs.Warnings = append(fs.Warnings, fmt.Sprintf("mixed releases across the fleet: %s instances", strings.Join(parts, ", ")))
	}
	if len(fs.UnitHashes) > 1 {
		fs.UnitDrift = true
		var parts []string
		for _, u := range slices.Sorted(maps.Keys(fs.UnitHashes)) {
			parts = append(parts, fmt.Sprintf("%s on %s", short(u), strings.Join(fs.UnitHashes[u], ", ")))
		}
		fs.Warnings = append(fs.Warnings, "unit files differ between hosts: "+strings.Join(parts, ", ")+" (re-run `sysroll fleet apply FILE`)")
	}
	return fs
}

// short is a hash's first 12 digits (a host's answer may be shorter).
func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
