package cli

import (
	"context"
	"sync"
	"time"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/release"
)

// probeAll runs each instance's probes once, all instances in parallel, and
// returns "" for a pass or the failing probe's detail per instance.
func probeAll(ctx context.Context, svc *config.Service, store *release.Store, names []string, probe bool) []string {
	out := make([]string, len(names))
	if !probe {
		return out
	}
	probes := probesFor(svc, store)
	timeout := svc.Health.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	var wg sync.WaitGroup
	for i, inst := range names {
		ps := probes(inst)
		if len(ps) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			pctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			for _, p := range ps {
				if r := p.Check(pctx); !r.OK {
					out[i] = r.Detail
					return
				}
			}
		}()
	}
	wg.Wait()
	return out
}
