package cli

import (
	"context"
	"fmt"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/drain"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
)

// drainerFor picks how instances leave and rejoin traffic: HAProxy's
// runtime API, the pre_stop/post_start hooks, both, or nothing (a shared
// socket needs nothing: the kernel queue holds connections meanwhile).
func drainerFor(svc *config.Service, store *release.Store) rollout.Drainer {
	var ds []drain.Drainer
	if hp := svc.Rollout.HAProxy; hp != nil {
		ds = append(ds, &drain.HAProxy{
			Socket:  hp.Socket,
			Backend: hp.Backend,
			Server:  hp.Server,
			Port:    svc.Port,
			// 0: the engine's drain_timeout is the one bound, so running
			// out of it is a warning, not a failed step.
			DrainTimeout: 0,
			UpTimeout:    svc.Health.Deadline,
		})
	}
	if h := svc.Hooks; h.PreStop != "" || h.PostStart != "" {
		ds = append(ds, &drain.Hooks{
			Service:   svc.Name,
			PreStop:   h.PreStop,
			PostStart: h.PostStart,
			// {release} and SYSROLL_RELEASE name the release directory,
			// as in the units: the instance's symlink.
			Release: func(inst string) (string, error) { return store.CurrentPath(inst), nil },
			Port:    svc.Port,
			Expand:  svc.Expand,
		})
	}
	switch len(ds) {
	case 0:
		return rollout.NoDrain{}
	case 1:
		return ds[0]
	}
	return drain.Multi(ds...)
}

// checkDrainer verifies the load balancer before any instance is touched:
// a wrong socket or server name must fail here, not halfway.
func checkDrainer(ctx context.Context, d rollout.Drainer, instances []string) error {
	c, ok := d.(drain.Checker)
	if !ok {
		return nil
	}
	if err := c.Check(ctx, instances); err != nil {
		return fmt.Errorf("load balancer check failed, no instance touched: %w", err)
	}
	return nil
}
