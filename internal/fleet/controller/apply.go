package controller

import (
	"context"
	"fmt"
	"strings"

	"github.com/sysroll/sysroll/internal/fleet/plan"
)

// ApplyHost is what a fleet apply needs of a host: the handshake, and
// `sysroll apply` run there on a copy of the service file. SSHHost is one.
type ApplyHost interface {
	buildHost
	Connect(ctx context.Context) error
	// Apply copies the service file (and, when withArtifact, the release
	// artifact) to the host and runs `sysroll apply` on them, calling line
	// with every line it prints, stdout and stderr alike.
	Apply(ctx context.Context, req ApplyRequest, line func(string)) error
}

// ApplyRequest is one host's apply.
type ApplyRequest struct {
	// File is the service file's content; Service its name.
	File    []byte
	Service string
	// WithArtifact copies the first release; Version names it ("": the
	// host's apply picks a short sha256).
	WithArtifact bool
	Version      string
	DryRun       bool
}

// ApplyOptions are one fleet apply's.
type ApplyOptions struct {
	ApplyRequest
	// Hosts in inventory order (after --limit), and the fleet's host
	// strategy: the apply goes one host batch at a time, as a deploy
	// would, since applying a changed unit restarts instances.
	Hosts    []plan.Host
	Strategy plan.Strategy
	// Files replaces ApplyRequest.File for the hosts it names: the
	// service file with that host's own instances (config.WithInstances).
	Files map[string][]byte
	// Line receives every line a host's apply prints, and the
	// controller's own notes (host "" for the fleet).
	Line func(host, line string)
}

// ApplyReport is what a fleet apply did.
type ApplyReport struct {
	Plan *plan.Plan
	// Applied are the hosts whose apply succeeded, in order.
	Applied []string
	// Failed maps the failed hosts of the batch that stopped the apply to
	// their error; the later batches were not touched.
	Failed map[string]error
}

// Apply installs the service on every host: connect and handshake on all
// of them first (a host that fails refuses the whole apply, before any
// change anywhere), then host batch by host batch, stopping after the
// first batch with a failed host.
func Apply(ctx context.Context, hosts []ApplyHost, o ApplyOptions) (*ApplyReport, error) {
	if o.Line == nil {
		o.Line = func(string, string) {}
	}
	byName := map[string]ApplyHost{}
	var names []string
	for _, h := range hosts {
		byName[h.Name()] = h
	}
	for _, h := range o.Hosts {
		if byName[h.Name] == nil {
			return nil, fmt.Errorf("controller: no connection for host %s", h.Name)
		}
		names = append(names, h.Name)
	}
	p, err := plan.Batches(o.Hosts, o.Strategy.WithDefaults())
	if err != nil {
		return nil, fmt.Errorf("plan the host batches: %w", err)
	}
	rep := &ApplyReport{Plan: p, Failed: map[string]error{}}
	if errs := each(names, func(n string) error { return byName[n].Connect(ctx) }); len(errs) > 0 {
		return rep, &RefusedError{Phase: "connect", Hosts: errs}
	}
	errs := each(names, func(n string) error {
		_, sent, err := handshake(ctx, byName[n])
		if sent > 0 {
			o.Line(n, fmt.Sprintf("sysroll build copied (%d bytes)", sent))
		}
		return err
	})
	if len(errs) > 0 {
		return rep, &RefusedError{Phase: "handshake", Hosts: errs, Touched: true}
	}
	for i, b := range p.Batches {
		o.Line("", fmt.Sprintf("host batch %d/%d: %s", i+1, len(p.Batches), strings.Join(b.Hosts, ", ")))
		errs := each(b.Hosts, func(n string) error {
			req := o.ApplyRequest
			if f, ok := o.Files[n]; ok {
				req.File = f
			}
			return byName[n].Apply(ctx, req, func(l string) { o.Line(n, l) })
		})
		for _, n := range b.Hosts {
			if errs[n] == nil {
				rep.Applied = append(rep.Applied, n)
			}
		}
		if len(errs) > 0 {
			rep.Failed = errs
			return rep, nil
		}
	}
	return rep, nil
}

// OK reports whether every host was applied.
func (r *ApplyReport) OK() bool { return r != nil && len(r.Failed) == 0 }
