package host

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"

	"github.com/sysroll/sysroll/internal/analysis"
	execmetric "github.com/sysroll/sysroll/internal/analysis/exec"
	"github.com/sysroll/sysroll/internal/analysis/journal"
	"github.com/sysroll/sysroll/internal/analysis/prom"
	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/rollout"
)

// analysisFor maps the service file's analysis: block onto the engine's
// Analysis with the real providers; nil without the block.
func (h *Host) analysisFor(svc *config.Service) (*rollout.Analysis, error) {
	if svc.Analysis == nil {
		return nil, nil
	}
	o := svc.Analysis.Options()
	p := &rollout.Providers{Window: o.Window}
	if o.Prometheus != nil {
		c, err := prom.New(o.Prometheus.Address, o.Prometheus.Timeout)
		if err != nil {
			return nil, fmt.Errorf("analysis.prometheus: %w", err)
		}
		p.Prom = &prom.Provider{Q: c, Service: svc.Name, Window: o.Window}
		p.InstanceLabel = o.Prometheus.InstanceLabel
	}
	for _, m := range o.Metrics {
		if m.Kind() == analysis.KindExec && p.Exec == nil {
			p.Exec = &execmetric.Provider{R: execmetric.OSRunner{}, Service: svc.Name, Window: o.Window}
			if svc.Listen == "" {
				// Each instance listens on its own port, its name
				// (config refuses {instance_addrs} with listen:).
				p.Exec.Addr = func(in string) string { return net.JoinHostPort("127.0.0.1", in) }
			}
		}
	}
	if o.Journal != nil {
		p.Journal = &journal.Provider{R: journalRunner{h.journalctl(), h.User}, Priority: o.Journal.Priority}
	}
	return &rollout.Analysis{Options: o, Measurer: p}, nil
}

// journalRunner runs the journal provider's journalctl the way `sysroll
// logs` does (Host.Journalctl in tests), in the user's journal with User.
type journalRunner struct {
	run  func(ctx context.Context, args []string, stdout io.Writer) error
	user bool
}

func (r journalRunner) Journalctl(ctx context.Context, args []string) ([]byte, error) {
	if r.user {
		args = append([]string{"--user"}, args...)
	}
	var out bytes.Buffer
	if err := r.run(ctx, args, &out); err != nil {
		return nil, fmt.Errorf("journalctl: %w", err)
	}
	return out.Bytes(), nil
}
