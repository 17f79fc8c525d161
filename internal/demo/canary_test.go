package main

import (
	"testing"

	"github.com/sysroll/sysroll/internal/config"
)

// parse decodes and validates a service file as sysroll apply does.
func parse(t *testing.T, name, text string) *config.Service {
	t.Helper()
	svc, err := config.Parse(name, []byte(text))
	if err == nil {
		err = svc.Validate()
	}
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, text)
	}
	return svc
}

// The demo's canary service is valid, and is what the demo says: a canary,
// a timed pause, the rest, and a ratio judged against the baseline.
func TestShopService(t *testing.T) {
	svc := parse(t, "shop.yaml", shopService())
	st := svc.Rollout.Steps
	if len(st) != 3 || st[0].IsPause() || st[1].Pause == 0 || st[2].IsPause() {
		t.Errorf("steps %+v: want batch, timed pause, batch", st)
	}
	a := svc.Analysis
	if a == nil || len(a.Metrics) != 1 || a.Metrics[0].VsBaseline == nil || a.Prometheus.Address != "http://"+promAddr {
		t.Errorf("analysis %+v: want one metric against the baseline, on the demo's Prometheus", a)
	}
}
