//go:build integration

package fleetstatus

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// TestPerHostInstances: an inventory entry's instances: reaches its host.
// fleet apply gives h2 one instance and h3 three while h1 keeps the
// service's two; each host's own sysroll status shows exactly its own,
// a fleet deploy rolls every one of them, and fleet status is healthy.
func TestPerHostInstances(t *testing.T) {
	f := e2etest.SharedFleet(t)
	name := "fs-inst"
	want := map[string][]int{"h1": {25421, 25422}, "h2": {25431}, "h3": {25441, 25442, 25443}}
	local := t.TempDir()
	hosts := ""
	for _, h := range f.Hosts() {
		over := ""
		if h.Name() != "h1" {
			over = fmt.Sprintf(", instances: %s", ports(want[h.Name()]))
		}
		hosts += fmt.Sprintf("  - {name: %s, address: %s%s}\n", h.Name(), h.Addr(), over)
	}
	file := filepath.Join(local, "service.yaml")
	yaml := e2etest.HelloYAML(name, want["h1"], 500*time.Millisecond, "") + "hosts:\n" + hosts + "fleet:\n  hosts: {batch: 1}\n"
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, h := range f.Hosts() {
		h.UninstallAtEnd(t, name)
	}
	ssh := []string{"--ssh-config", f.SSHConfigPath()}

	r := f.RunController(t, append([]string{"fleet", "apply", file, "--artifact", e2etest.WriteHelloRelease(t, local, "v1", ""), "--version", "v1"}, ssh...)...)
	if r.Code != 0 {
		t.Fatalf("fleet apply: %s", r)
	}
	check := func(step, version string) {
		t.Helper()
		for _, h := range f.Hosts() {
			st := h.Status(t, name)
			var got []int
			for _, in := range st.Instances {
				p, _ := strconv.Atoi(in.Instance)
				got = append(got, p)
				if in.Release != version || in.Health != "healthy" {
					t.Errorf("%s: %s %s: release %q, %s; want %s, healthy", step, h.Name(), in.Instance, in.Release, in.Health, version)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want[h.Name()]) {
				t.Errorf("%s: %s runs instances %v, want %v", step, h.Name(), got, want[h.Name()])
			}
		}
	}
	check("after fleet apply", "v1")

	r = f.RunController(t, append([]string{"fleet", "deploy", file, "--artifact", e2etest.WriteHelloRelease(t, local, "v2", ""), "--version", "v2"}, ssh...)...)
	if r.Code != 0 {
		t.Fatalf("fleet deploy: %s", r)
	}
	t.Logf("fleet deploy of 2+1+3 instances: %s", r.Took.Round(time.Millisecond))
	check("after fleet deploy", "v2")
	if r := f.RunController(t, append([]string{"fleet", "status", file}, ssh...)...); r.Code != 0 {
		t.Errorf("fleet status: %s", r)
	}
}

func ports(ps []int) string {
	s := "["
	for i, p := range ps {
		if i > 0 {
			s += ", "
		}
		s += strconv.Itoa(p)
	}
	return s + "]"
}
