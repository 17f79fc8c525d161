package host

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/portcheck"
	"github.com/sysroll/sysroll/internal/portcheck/portchecktest"
)

func listener(addr string, pid int, comm, unit string) portcheck.Listener {
	return portcheck.Listener{Addr: netip.MustParseAddrPort(addr), PID: pid, Command: comm, Unit: unit}
}

// A port taken by another unit used to leave the instance crash-looping on
// "address already in use"; now apply refuses, names the holder and
// changes nothing (no state dir, no unit, no systemd call).
func TestApplyRefusesAPortInUse(t *testing.T) {
	w := newWorld(t)
	w.h.Ports = portchecktest.Table{8082: {
		listener("0.0.0.0:8082", 1234, "my-binary", "my-service-2.service"),
		listener("[::]:8082", 1234, "my-binary", "my-service-2.service"),
	}}
	_, err := w.h.Apply(t.Context(), ApplyOptions{File: w.serviceFile("shop", three), Artifact: w.artifact("v1"), Version: "v1"})
	pe, ok := errors.AsType[*PortInUseError](err)
	if !ok {
		t.Fatalf("apply = %v, want a *PortInUseError", err)
	}
	if _, input := errors.AsType[*InputError](err); input {
		t.Errorf("a port in use is bad input (exit 2): %v", err)
	}
	want := "port 8082 is in use by pid 1234 (my-binary) of my-service-2.service (listening on 0.0.0.0, ::): shop@8082.service cannot bind it"
	if len(pe.Problems) != 1 || pe.Problems[0] != want {
		t.Errorf("problems %q, want [%q]", pe.Problems, want)
	}
	if !strings.Contains(err.Error(), "nothing changed") || !strings.Contains(err.Error(), "sysroll adopt") {
		t.Errorf("error %q does not say nothing changed and what to do", err)
	}
	if calls := w.fake.Calls(); len(calls) != 0 {
		t.Errorf("systemd calls %+v, want none", calls)
	}
	for _, d := range []string{filepath.Join(w.h.StateRoot, "shop"), filepath.Join(w.h.UnitDir, "shop@.service")} {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s exists after a refused apply: %v", d, err)
		}
	}
}

// Not a conflict: the instance's own unit (a process still going away),
// the service's own socket; nor a port no instance wants.
func TestApplyPortCheckIgnoresItsOwn(t *testing.T) {
	w := newWorld(t)
	w.h.Ports = portchecktest.Table{
		8081: {listener("127.0.0.1:8081", 10, "app", "shop@8081.service")},
		8082: {listener("127.0.0.1:8082", 1, "systemd", "shop.socket")},
		9999: {listener("0.0.0.0:9999", 11, "other", "other.service")},
	}
	if _, err := w.h.Apply(t.Context(), ApplyOptions{File: w.serviceFile("shop", three), Artifact: w.artifact("v1"), Version: "v1", NoWait: true}); err != nil {
		t.Fatalf("apply: %v", err)
	}
}

// A holder in another PID namespace (a container sharing the network) is
// still refused, saying it cannot be named.
func TestApplyPortHeldByAnUnseenProcess(t *testing.T) {
	w := newWorld(t)
	w.h.Ports = portchecktest.Table{8083: {listener("127.0.0.1:8083", 0, "", "")}}
	_, err := w.h.Apply(t.Context(), ApplyOptions{File: w.serviceFile("shop", three), Artifact: w.artifact("v1"), Version: "v1"})
	if err == nil || !strings.Contains(err.Error(), "port 8083 is in use by a process not visible here") {
		t.Fatalf("apply = %v, want port 8083 refused", err)
	}
}

// The listen: port is checked before the socket first starts.
func TestApplyChecksTheListenPort(t *testing.T) {
	w := newWorld(t)
	w.h.Ports = portchecktest.Table{8080: {listener("0.0.0.0:8080", 77, "nginx", "nginx.service")}}
	file := w.serviceFile("shop", []string{"1", "2"}, `listen: "127.0.0.1:8080"`)
	_, err := w.h.Apply(t.Context(), ApplyOptions{File: file, Artifact: w.artifact("v1"), Version: "v1"})
	if err == nil || !strings.Contains(err.Error(), "port 8080 is in use by pid 77 (nginx) of nginx.service (listening on 0.0.0.0): shop.socket (listen:) cannot bind it") {
		t.Fatalf("apply = %v, want the listen: port refused", err)
	}
}

func TestListenPort(t *testing.T) {
	for in, want := range map[string]int{"8080": 8080, ":8080": 8080, "127.0.0.1:8080": 8080, "[::1]:8080": 8080, "/run/x.sock": 0, "": 0, "0": 0} {
		if got, _ := listenPort(in); got != want {
			t.Errorf("listenPort(%q) = %d, want %d", in, got, want)
		}
	}
}
