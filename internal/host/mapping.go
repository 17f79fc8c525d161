package host

import (
	"context"
	"fmt"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/drain"
	"github.com/sysroll/sysroll/internal/health"
	"github.com/sysroll/sysroll/internal/install"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/unitfile"
)

// This file maps the service file onto the packages that act on it.

// gateFor maps the service file's health settings onto the gate.
func gateFor(svc *config.Service) health.Gate {
	h := svc.Health
	g := health.Gate{
		Interval:           h.Interval,
		Timeout:            h.Timeout,
		HealthyThreshold:   h.HealthyThreshold,
		UnhealthyThreshold: h.UnhealthyThreshold,
		HealthyFor:         h.HealthyFor,
		Deadline:           h.Deadline,
	}
	// In the gate 0 means "default"; in the service file an explicit 0 means
	// "no stability window".
	if g.HealthyFor == 0 {
		g.HealthyFor = -1
	}
	return g
}

// probesFor builds an instance's probes from the service file.
func probesFor(svc *config.Service, store *release.Store) func(instance string) []health.Probe {
	return func(inst string) []health.Probe {
		h := svc.Health
		rel := store.CurrentPath(inst)
		var ps []health.Probe
		if h.HTTP != nil {
			ps = append(ps, health.HTTP{URL: svc.Expand(h.HTTP.URL, rel, inst), Status: h.HTTP.Status, Body: h.HTTP.Body})
		}
		if h.TCP != nil {
			ps = append(ps, health.TCP{Addr: svc.Expand(h.TCP.Address, rel, inst)})
		}
		if h.Exec != nil {
			argv, err := config.SplitCommand(svc.Expand(h.Exec.Command, rel, inst))
			if err == nil {
				ps = append(ps, health.Exec{Argv: argv})
			}
		}
		return ps
	}
}

// strategyFor maps the service file's rollout settings onto the executor's.
func strategyFor(svc *config.Service) rollout.Strategy {
	r := svc.Rollout
	st := rollout.Strategy{
		Batch:            r.Batch,
		Ramp:             r.Ramp,
		Steps:            r.Steps,
		FailureAction:    r.FailureAction,
		FailureBudget:    r.FailureBudget,
		ProgressDeadline: r.ProgressDeadline,
		DrainTimeout:     r.DrainTimeout,
	}
	st.PauseExpiry, st.OnPauseExpiry = r.Expiry()
	if len(st.Ramp) > 0 || len(st.Steps) > 0 {
		st.Batch = config.Step{} // the ramp overrides the (defaulted) batch
	}
	return st
}

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
			// 0: the executor's drain_timeout is the one bound, so running
			// out of it is a warning, not a failed step.
			DrainTimeout: 0,
			UpTimeout:    svc.Health.Deadline,
		})
	}
	if a := svc.Rollout.HAProxyAgent; a != nil {
		ds = append(ds, agentDrainer(svc, store.Dir()))
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

// desired turns rendered files into what the installer converges to.
func desired(svc *config.Service, files unitfile.Files) install.Desired {
	d := install.Desired{
		Service:   svc.Name,
		Instances: svc.InstanceNames(),
		Template:  unitfile.TemplateUnit(svc.Name),
		Target:    unitfile.TargetUnit(svc.Name),
		InstanceUnit: func(inst string) string {
			return unitfile.InstanceUnit(svc.Name, inst)
		},
	}
	if svc.Listen != "" {
		d.Socket = unitfile.SocketUnit(svc.Name)
	}
	if svc.Rollout.HAProxyAgent != nil {
		d.AgentSocket = unitfile.AgentSocket(svc.Name)
	}
	for _, f := range files {
		d.Files = append(d.Files, install.File{Name: f.Name, Data: []byte(f.Content)})
	}
	return d
}
