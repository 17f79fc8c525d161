package controller

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
)

// statusHost is a StatusHost the test configures.
type statusHost struct {
	name       string
	connectErr error
	noBinary   bool
	protocol   int
	st         schema.Status
	statusErr  error
	skew       time.Duration
	delay      time.Duration // each Status call takes that long
	pushed     atomic.Int32
	inFlight   *atomic.Int32
	maxFlight  *atomic.Int32
}

func (h *statusHost) Name() string { return h.name }
func (h *statusHost) Connect(ctx context.Context) error {
	return h.connectErr
}
func (h *statusHost) Version(context.Context) (schema.Version, bool, error) {
	if h.noBinary && h.pushed.Load() == 0 {
		return schema.Version{}, false, nil
	}
	p := h.protocol
	if p == 0 {
		p = schema.FleetProtocol
	}
	return schema.Version{Protocol: p}, true, nil
}
func (h *statusHost) PushBinary(context.Context) (int64, error) {
	h.pushed.Add(1)
	return 1000, nil
}
func (h *statusHost) Status(ctx context.Context, _ string) (schema.Status, error) {
	if h.inFlight != nil {
		n := h.inFlight.Add(1)
		defer h.inFlight.Add(-1)
		for {
			m := h.maxFlight.Load()
			if n <= m || h.maxFlight.CompareAndSwap(m, n) {
				break
			}
		}
	}
	select {
	case <-time.After(h.delay):
	case <-ctx.Done():
		return schema.Status{}, ctx.Err()
	}
	return h.st, h.statusErr
}
func (h *statusHost) Clock(context.Context) (time.Time, error) {
	return time.Now().Add(h.skew), nil
}

// healthy is a status of instances all healthy on version, units hashed u.
func healthy(version, u string, names ...string) schema.Status {
	st := schema.Status{Schema: schema.StatusV1, Service: "shop", UnitSHA256: u, Releases: map[string]int{}}
	for i, n := range names {
		st.Instances = append(st.Instances, schema.InstanceStatus{Instance: n, Unit: "shop@" + n + ".service",
			Health: schema.Healthy, Release: version, PID: uint32(100 + i)})
		st.Releases[version]++
	}
	return st
}

func runStatus(t *testing.T, hosts ...*statusHost) *FleetStatus {
	t.Helper()
	var hs []StatusHost
	for _, h := range hosts {
		hs = append(hs, h)
	}
	return Status(t.Context(), hs, StatusOptions{Service: "shop", HostTimeout: 2 * time.Second})
}

func TestFleetStatusFindings(t *testing.T) {
	u1, u2 := strings.Repeat("a", 64), strings.Repeat("b", 64)
	interrupted := healthy("v1", u1, "1")
	interrupted.Interrupted = &release.Record{ID: "r7"}
	down := healthy("v1", u1, "1", "2")
	down.Instances[1].Health = schema.Down
	for _, tc := range []struct {
		name     string
		hosts    []*statusHost
		ok       bool
		mixed    bool
		drift    bool
		problems map[string]string // host -> a problem it must have
		warning  string            // in the fleet's or a host's warnings
	}{
		{name: "all well", hosts: []*statusHost{
			{name: "h1", st: healthy("v1", u1, "1", "2")},
			{name: "h2", st: healthy("v1", u1, "1", "2"), noBinary: true},
		}, ok: true},
		{name: "mixed releases", hosts: []*statusHost{
			{name: "h1", st: healthy("v2", u1, "1")},
			{name: "h2", st: healthy("v1", u1, "1")},
		}, ok: true, mixed: true, warning: "mixed releases across the fleet: v1 on 1, v2 on 1"},
		{name: "unit drift", hosts: []*statusHost{
			{name: "h1", st: healthy("v1", u1, "1")},
			{name: "h2", st: healthy("v1", u2, "1")},
		}, ok: true, drift: true, warning: "aaaaaaaaaaaa on h1, bbbbbbbbbbbb on h2"},
		{name: "unreachable", hosts: []*statusHost{
			{name: "h1", st: healthy("v1", u1, "1")},
			{name: "h2", connectErr: errors.New("h2: dial tcp: i/o timeout")},
		}, problems: map[string]string{"h2": "unreachable: h2: dial tcp: i/o timeout"}},
		{name: "interrupted", hosts: []*statusHost{
			{name: "h1", st: interrupted},
		}, problems: map[string]string{"h1": "rollout r7 was interrupted"}},
		{name: "instance down", hosts: []*statusHost{
			{name: "h1", st: down},
		}, problems: map[string]string{"h1": "shop@2.service is down"}},
		{name: "not applied", hosts: []*statusHost{
			{name: "h1", statusErr: errors.New("h1: sysroll status exited 2: shop is not installed")},
		}, problems: map[string]string{"h1": "fleet apply FILE"}},
		{name: "other protocol", hosts: []*statusHost{
			{name: "h1", protocol: 99},
		}, problems: map[string]string{"h1": "fleet protocol 99"}},
		{name: "clock skew", hosts: []*statusHost{
			{name: "h1", st: healthy("v1", u1, "1"), skew: 3 * time.Second},
			{name: "h2", st: healthy("v1", u1, "1"), skew: -200 * time.Millisecond},
		}, ok: true, warning: "clock skew +3.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := runStatus(t, tc.hosts...)
			if fs.Schema != FleetStatusV1 || len(fs.Hosts) != len(tc.hosts) {
				t.Fatalf("document: %+v", fs)
			}
			if fs.OK != tc.ok || fs.MixedReleases != tc.mixed || fs.UnitDrift != tc.drift {
				t.Errorf("ok %v mixed %v drift %v, want %v %v %v", fs.OK, fs.MixedReleases, fs.UnitDrift, tc.ok, tc.mixed, tc.drift)
			}
			var warnings []string
			warnings = append(warnings, fs.Warnings...)
			for i, h := range fs.Hosts {
				if h.Host != tc.hosts[i].name {
					t.Errorf("entry %d is %s, want %s (inventory order)", i, h.Host, tc.hosts[i].name)
				}
				warnings = append(warnings, h.Warnings...)
				want, ok := tc.problems[h.Host]
				got := strings.Join(h.Problems, "; ")
				if ok != (got != "") || !strings.Contains(got, want) {
					t.Errorf("%s problems %q, want %q", h.Host, got, want)
				}
			}
			all := strings.Join(warnings, "\n")
			if (tc.warning == "") != (all == "") || !strings.Contains(all, tc.warning) {
				t.Errorf("warnings %q, want %q", all, tc.warning)
			}
		})
	}
}

// The build is pushed to a host that lacks it, and only there.
func TestFleetStatusPushesBuild(t *testing.T) {
	h1 := &statusHost{name: "h1", st: healthy("v1", "", "1")}
	h2 := &statusHost{name: "h2", st: healthy("v1", "", "1"), noBinary: true}
	fs := runStatus(t, h1, h2)
	if h1.pushed.Load() != 0 || h2.pushed.Load() != 1 {
		t.Errorf("pushed h1 %d h2 %d times, want 0 and 1", h1.pushed.Load(), h2.pushed.Load())
	}
	if fs.Hosts[0].SentBytes != 0 || fs.Hosts[1].SentBytes != 1000 || !fs.OK {
		t.Errorf("%+v", fs.Hosts)
	}
}

// Hosts are queried in parallel, at most Parallel at once, and a hung host
// costs HostTimeout, not the whole status.
func TestFleetStatusBounded(t *testing.T) {
	var in, maxIn atomic.Int32
	var hs []StatusHost
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		hs = append(hs, &statusHost{name: n, st: healthy("v1", "", "1"), delay: 100 * time.Millisecond, inFlight: &in, maxFlight: &maxIn})
	}
	hung := &statusHost{name: "hung", delay: time.Hour}
	hs = append(hs, hung)
	start := time.Now()
	fs := Status(t.Context(), hs, StatusOptions{Service: "shop", Parallel: 3, HostTimeout: 500 * time.Millisecond})
	took := time.Since(start)
	if m := maxIn.Load(); m > 3 || m < 2 {
		t.Errorf("%d hosts at once, want 2..3 (Parallel 3)", m)
	}
	if took > 2*time.Second {
		t.Errorf("took %s: the hung host was not bounded", took)
	}
	if fs.OK || len(fs.Hosts[6].Problems) == 0 || fs.Hosts[0].Status == nil {
		t.Errorf("hung host not flagged, or others lost: %+v", fs.Hosts)
	}
}

func TestParseClock(t *testing.T) {
	if got, err := parseClock("h", "1700000000.250000000\n"); err != nil || !got.Equal(time.Unix(1700000000, 250000000)) {
		t.Errorf("got %v, %v", got, err)
	}
	for _, bad := range []string{"", "1700000000", "1700000000.N", "x.000000000", "1.5", "1.-00000001"} {
		if _, err := parseClock("h", bad); err == nil || !strings.Contains(err.Error(), "h: date") {
			t.Errorf("%q: err %v", bad, err)
		}
	}
}
