package host

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/systemd/systemdtest"
)

// Health in status: systemd's state first, then one run of the probes.
func TestStatusHealth(t *testing.T) {
	w := newWorld(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	open := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	closed := func() string { // a port nothing listens on
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	}()
	w.install("shop", []string{open, closed, "1"}, "  tcp: {address: \"127.0.0.1:{instance}\"}")
	w.fake.Set("shop@1.service", systemdtest.Failed)

	st, err := w.h.Status(t.Context(), StatusOptions{Service: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Schema != schema.StatusV1 || st.Running != 2 || st.Healthy != 1 || st.Mixed {
		t.Errorf("summary: %+v", st)
	}
	want := map[string]string{open: schema.Healthy, closed: schema.Unhealthy, "1": schema.Down}
	for _, in := range st.Instances {
		if in.Health != want[in.Instance] {
			t.Errorf("%s: health %q, want %q (%s)", in.Instance, in.Health, want[in.Instance], in.HealthNote)
		}
		if in.Instance == closed && !strings.Contains(in.HealthNote, "refused") {
			t.Errorf("unhealthy without the probe's reason: %q", in.HealthNote)
		}
		if in.Release != "v1" {
			t.Errorf("%s release %q", in.Instance, in.Release)
		}
	}
	// Without probes only systemd's view counts.
	st, err = w.h.Status(t.Context(), StatusOptions{Service: "shop", NoProbe: true})
	if err != nil || st.Healthy != 2 {
		t.Errorf("--no-probe: %v, %d healthy", err, st.Healthy)
	}
}

func TestStatusFlagsMixedReleasesAndInterruptedRollouts(t *testing.T) {
	w := newWorld(t)
	w.install("shop", three)
	s := w.store("shop")
	if _, err := s.Stage(t.Context(), w.artifact("v2"), release.StageOptions{Version: "v2"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Switch("8081", "v2"); err != nil {
		t.Fatal(err)
	}
	rec := &release.Record{ID: "20261201T100000Z-abcdef", Service: "shop", Kind: release.KindDeploy, To: "v2",
		Result: release.ResultInterrupted, Reason: "interrupted"}
	if err := s.SaveRecord(rec); err != nil {
		t.Fatal(err)
	}
	st, err := w.h.Status(t.Context(), StatusOptions{Service: "shop", NoProbe: true})
	if err != nil {
		t.Fatal(err)
	}
	if !st.Mixed || st.Releases["v1"] != 2 || st.Releases["v2"] != 1 {
		t.Errorf("releases %v mixed %v", st.Releases, st.Mixed)
	}
	if st.Interrupted == nil || st.Interrupted.ID != rec.ID {
		t.Errorf("interrupted rollout not reported: %+v", st.Interrupted)
	}
}

func TestListServices(t *testing.T) {
	w := newWorld(t)
	all, err := w.h.List(t.Context())
	if err != nil || all.Schema != schema.ServicesV1 || len(all.Services) != 0 || all.Services == nil {
		t.Fatalf("empty host: %v %+v", err, all)
	}
	if w.connections != 0 {
		t.Errorf("listing no services connected to systemd")
	}
	w.install("shop", three)
	w.install("cart", []string{"9001"})
	w.fake.Set("cart@9001.service", func(u *systemd.UnitState) { systemdtest.Stopped(u) })
	all, err = w.h.List(t.Context())
	if err != nil || len(all.Services) != 2 {
		t.Fatalf("list: %v %+v", err, all)
	}
	got := map[string]int{}
	for _, s := range all.Services {
		got[s.Service] = s.Running
	}
	if got["shop"] != 3 || got["cart"] != 0 {
		t.Errorf("running per service: %v", got)
	}
}
