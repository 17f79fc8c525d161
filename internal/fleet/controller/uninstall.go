package controller

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// UninstallHost is what a fleet uninstall needs of a host. SSHHost is
// one; a host that is also a ClaimHost has its claims checked first.
type UninstallHost interface {
	buildHost
	Connect(ctx context.Context) error
	// Uninstall is `uninstall NAME [--purge]`; out is what it printed.
	Uninstall(ctx context.Context, service string, purge bool) (out string, err error)
}

// UninstallOptions are one fleet uninstall's.
type UninstallOptions struct {
	Service string
	Purge   bool
	// HostTimeout bounds each host's uninstall (5 minutes when 0: it
	// stops every instance, each draining first).
	HostTimeout time.Duration
}

// UninstallResult is one host's line of the table.
type UninstallResult struct {
	Host   string
	OK     bool
	Detail string
}

// Uninstall removes the service from every host, in parallel, after
// checking on all of them first that each can be reached, runs this
// build, and holds no unfinished fleet claim of the service: an uninstall
// under a rollout that is still to be resumed would leave its hosts
// half-rolled with nothing to resume onto. Anything wrong there refuses
// the whole uninstall with a *RefusedError, nothing touched; otherwise
// every host's result is in the table (a failure on one does not stop
// the others: each host's uninstall is its own and complete).
func Uninstall(ctx context.Context, hosts []UninstallHost, o UninstallOptions) ([]UninstallResult, error) {
	if o.HostTimeout <= 0 {
		o.HostTimeout = 5 * time.Minute
	}
	names := make([]string, len(hosts))
	byName := map[string]UninstallHost{}
	for i, h := range hosts {
		names[i] = h.Name()
		byName[h.Name()] = h
	}
	errs := each(names, func(n string) error {
		h := byName[n]
		if err := h.Connect(ctx); err != nil {
			return err
		}
		if _, _, err := handshake(ctx, h); err != nil {
			return err
		}
		ch, ok := h.(ClaimHost)
		if !ok {
			return nil
		}
		cs, err := ch.Claims(ctx, o.Service)
		if err != nil {
			return fmt.Errorf("%s: its fleet claims cannot be read (%w): an unreadable claim is never taken as none", n, err)
		}
		var open []string
		for _, c := range cs {
			if !c.Finished {
				open = append(open, fmt.Sprintf("%s (%s by %s)", c.FleetID, c.Kind, c.Controller))
			}
		}
		if len(open) > 0 {
			return fmt.Errorf("%s: claimed by unfinished fleet rollout %s: finish it first (`sysroll fleet deploy FILE --resume`)", n, strings.Join(open, ", "))
		}
		return nil
	})
	if len(errs) > 0 {
		return nil, &RefusedError{Phase: "uninstall preflight", Hosts: errs}
	}
	out := make([]UninstallResult, len(hosts))
	var mu sync.Mutex
	each(names, func(n string) error {
		hctx, cancel := context.WithTimeout(ctx, o.HostTimeout)
		defer cancel()
		said, err := byName[n].Uninstall(hctx, o.Service, o.Purge)
		res := UninstallResult{Host: n, OK: err == nil, Detail: strings.TrimSpace(said)}
		if err != nil {
			res.Detail = err.Error()
		}
		mu.Lock()
		for i := range names {
			if names[i] == n {
				out[i] = res
			}
		}
		mu.Unlock()
		return nil
	})
	return out, nil
}
