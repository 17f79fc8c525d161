package controller

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/sysroll/sysroll/internal/fleet/plan"
	"github.com/sysroll/sysroll/internal/schema"
)

// applyHost is an ApplyHost the test configures; log is shared by all.
type applyHost struct {
	name       string
	connectErr error
	applyErr   error
	mu         *sync.Mutex
	log        *[]string
	file       []byte // the service file it was sent
}

func (h *applyHost) Name() string { return h.name }
func (h *applyHost) add(s string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	*h.log = append(*h.log, h.name+" "+s)
}
func (h *applyHost) Connect(context.Context) error { h.add("connect"); return h.connectErr }
func (h *applyHost) Version(context.Context) (schema.Version, bool, error) {
	return schema.Version{Protocol: schema.FleetProtocol}, true, nil
}
func (h *applyHost) PushBinary(context.Context) (int64, error) { return 0, nil }
func (h *applyHost) Apply(_ context.Context, req ApplyRequest, line func(string)) error {
	h.add("apply " + req.Service)
	h.file = req.File
	line("applied " + req.Service)
	return h.applyErr
}

func applyFleet(t *testing.T, batch int, hosts ...*applyHost) (*ApplyReport, []string, []string, error) {
	t.Helper()
	var mu sync.Mutex
	var log, lines []string
	var ah []ApplyHost
	var ph []plan.Host
	for _, h := range hosts {
		h.mu, h.log = &mu, &log
		ah = append(ah, h)
		ph = append(ph, plan.Host{Name: h.name, Instances: 2})
	}
	rep, err := Apply(t.Context(), ah, ApplyOptions{
		ApplyRequest: ApplyRequest{Service: "shop", File: []byte("name: shop\n")},
		Hosts:        ph, Strategy: plan.Strategy{Batch: plan.Size{N: batch}},
		Line: func(host, l string) {
			mu.Lock()
			defer mu.Unlock()
			lines = append(lines, host+"| "+l)
		},
	})
	return rep, log, lines, err
}

func TestFleetApplyAllHosts(t *testing.T) {
	rep, log, lines, err := applyFleet(t, 1, &applyHost{name: "h1"}, &applyHost{name: "h2"}, &applyHost{name: "h3"})
	if err != nil || !rep.OK() {
		t.Fatalf("%v %+v", err, rep)
	}
	if got := strings.Join(rep.Applied, ","); got != "h1,h2,h3" {
		t.Errorf("applied %s", got)
	}
	// Every connect comes before any apply; applies go batch by batch.
	var applies []string
	for i, l := range log {
		if strings.HasSuffix(l, " connect") && i >= 3 {
			t.Errorf("connect after an apply: %v", log)
		}
		if strings.Contains(l, " apply ") {
			applies = append(applies, strings.Fields(l)[0])
		}
	}
	if strings.Join(applies, ",") != "h1,h2,h3" {
		t.Errorf("applies in order %v, want h1,h2,h3 (batch 1)", applies)
	}
	if !strings.Contains(strings.Join(lines, "\n"), "h2| applied shop") {
		t.Errorf("host output not prefixed: %q", lines)
	}
}

// A failed host stops the apply after its batch; the later batches are
// not touched.
func TestFleetApplyStopsAtFailedHost(t *testing.T) {
	rep, log, _, err := applyFleet(t, 1, &applyHost{name: "h1"}, &applyHost{name: "h2", applyErr: errors.New("h2: sysroll apply exited 1")}, &applyHost{name: "h3"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || rep.Failed["h2"] == nil || len(rep.Failed) != 1 {
		t.Errorf("failed %v, want h2", rep.Failed)
	}
	if strings.Join(rep.Applied, ",") != "h1" {
		t.Errorf("applied %v, want h1", rep.Applied)
	}
	for _, l := range log {
		if l == "h3 apply shop" {
			t.Errorf("h3 applied after h2 failed: %v", log)
		}
	}
}

// An unreachable host refuses the apply before any host is changed.
func TestFleetApplyRefusesUnreachable(t *testing.T) {
	_, log, _, err := applyFleet(t, 2, &applyHost{name: "h1"}, &applyHost{name: "h2", connectErr: errors.New("h2: dial tcp: refused")})
	var refused *RefusedError
	if !errors.As(err, &refused) || refused.Hosts["h2"] == nil {
		t.Fatalf("err %v, want a refusal naming h2", err)
	}
	for _, l := range log {
		if strings.Contains(l, " apply ") {
			t.Errorf("applied despite the refusal: %v", log)
		}
	}
}

// TestApplyFilesPerHost: a host with its own instances gets its own
// service file, the others the shared one.
func TestApplyFilesPerHost(t *testing.T) {
	var mu sync.Mutex
	var log []string
	h1 := &applyHost{name: "h1", mu: &mu, log: &log}
	h2 := &applyHost{name: "h2", mu: &mu, log: &log}
	_, err := Apply(t.Context(), []ApplyHost{h1, h2}, ApplyOptions{
		ApplyRequest: ApplyRequest{Service: "shop", File: []byte("shared")},
		Hosts:        []plan.Host{{Name: "h1", Instances: 2}, {Name: "h2", Instances: 3}},
		Files:        map[string][]byte{"h2": []byte("h2's own")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(h1.file) != "shared" || string(h2.file) != "h2's own" {
		t.Errorf("h1 got %q, h2 got %q; want the shared file and h2's own", h1.file, h2.file)
	}
}
