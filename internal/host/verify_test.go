package host

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
	"github.com/sysroll/sysroll/internal/systemd/systemdtest"
)

// breakages are the ways the world changes behind sysroll's back, each with
// what status and the refusal must say.
var breakages = []struct {
	name   string
	do     func(t *testing.T, s *release.Store)
	saying string
}{
	{"release dir deleted", func(t *testing.T, s *release.Store) { must(t, os.RemoveAll(s.Path("v1"))) }, "releases/v1 is missing"},
	{"binary replaced", func(t *testing.T, s *release.Store) {
		p := filepath.Join(s.Path("v1"), "app")
		must(t, os.Chmod(p, 0o755))
		must(t, os.WriteFile(p, []byte("#!/bin/sh\nexit 1\n"), 0o755))
	}, "changed since it was staged"},
	{"link at /", func(t *testing.T, s *release.Store) {
		must(t, os.Remove(s.CurrentPath("8082")))
		must(t, os.Symlink("/", s.CurrentPath("8082")))
	}, `points at "/", outside the release store`},
	{"link removed", func(t *testing.T, s *release.Store) { must(t, os.Remove(s.CurrentPath("8082"))) }, "current is missing"},
	// The instance's directory replaced by a link to a directory holding a
	// current link that looks right, or by a file: what is wrong is the
	// directory (it used to say "current is not a symbolic link: readlink
	// ...: not a directory", having read through the planted link).
	{"link dir planted", func(t *testing.T, s *release.Store) {
		dir := filepath.Dir(s.CurrentPath("8082"))
		must(t, os.Rename(dir, dir+".elsewhere"))
		must(t, os.Symlink(dir+".elsewhere", dir))
	}, "instances/8082 is a symbolic link, not a directory"},
	{"link dir a file", func(t *testing.T, s *release.Store) {
		dir := filepath.Dir(s.CurrentPath("8082"))
		must(t, os.RemoveAll(dir))
		must(t, os.WriteFile(dir, []byte("x"), 0o644))
	}, "instances/8082 is a regular file, not a directory"},
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A restart onto a release that is gone or changed, or through a broken
// link, is refused before any instance stops; status flags every instance
// whose next start would fail, and does not fail itself.
func TestRestartRefusesABrokenReleaseAndStatusFlagsIt(t *testing.T) {
	for _, b := range breakages {
		t.Run(b.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t)
				w.install("shop", three)
				b.do(t, w.store("shop"))
				calls := len(w.fake.Calls())
				_, err := w.h.Restart(t.Context(), RestartOptions{Service: "shop"}, nil)
				if _, ok := errors.AsType[*BrokenError](err); !ok || !strings.Contains(err.Error(), b.saying) || !strings.Contains(err.Error(), "no instance touched") {
					t.Fatalf("restart: %v, want a refusal saying %q", err, b.saying)
				}
				if !strings.Contains(err.Error(), "sysroll deploy shop --artifact") || !strings.Contains(err.Error(), "sysroll rollback shop --to") {
					t.Errorf("the refusal does not say how to repair it: %v", err)
				}
				if c := w.fake.Calls()[calls:]; len(c) != 0 {
					t.Errorf("a refused restart called systemd: %+v", c)
				}

				st, err := w.h.Status(t.Context(), StatusOptions{Service: "shop", NoProbe: true})
				if err != nil {
					t.Fatalf("status: %v", err)
				}
				flagged := 0
				for _, in := range st.Instances {
					if strings.Contains(in.HealthNote, "next start would fail") {
						flagged++
						if !strings.Contains(in.HealthNote, b.saying) || in.Health == schema.Healthy {
							t.Errorf("%s: %s %q", in.Instance, in.Health, in.HealthNote)
						}
					}
				}
				want := 3
				if strings.HasPrefix(b.name, "link") {
					want = 1
				}
				if flagged != want || st.Healthy != 3-want {
					t.Errorf("status flags %d instances, %d healthy; want %d flagged", flagged, st.Healthy, want)
				}
			})
		})
	}
}

// deploy refuses when a release it may have to go back to is broken, and
// apply refuses to start an instance on one.
func TestDeployAndApplyRefuseABrokenRelease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.install("shop", three)
		s := w.store("shop")
		breakages[1].do(t, s)
		calls := len(w.fake.Calls())
		_, err := w.h.Deploy(t.Context(), DeployOptions{Service: "shop", Artifact: w.artifact("v2"), Version: "v2"}, nil)
		if _, ok := errors.AsType[*BrokenError](err); !ok || !strings.Contains(err.Error(), "revert target") {
			t.Fatalf("deploy over a changed release: %v", err)
		}
		// Apply starts a stopped instance on the release it points at.
		w.fake.Set("shop@8083.service", systemdtest.Failed)
		_, err = w.h.Apply(t.Context(), ApplyOptions{File: w.serviceFile("shop", three, "stop_timeout: 7s")})
		if _, ok := errors.AsType[*BrokenError](err); !ok || !strings.Contains(err.Error(), "instance 8083 (start): release v1") {
			t.Fatalf("apply onto a changed release: %v", err)
		}
		for _, c := range w.fake.Calls()[calls:] {
			if c.Op != systemdtest.OpReload {
				t.Errorf("a refused verb acted: %s %s", c.Op, c.Unit)
			}
		}
	})
}

// deploy and rollback repair a link pointed outside the store, or removed:
// the instance ends on the release they install.
func TestDeployAndRollbackRepairABrokenLink(t *testing.T) {
	for _, b := range breakages[2:3] { // a removed link: deploy already starts the instance as new
		t.Run(b.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t)
				w.install("shop", three)
				// The fake's processes run nowhere: a link is not pointed
				// back at a running release, the instance starts as new.
				b.do(t, w.store("shop"))
				res, err := w.h.Deploy(t.Context(), DeployOptions{Service: "shop", Artifact: w.artifact("v2"), Version: "v2"}, nil)
				if err != nil || res.Record.Result != release.ResultSucceeded {
					t.Fatalf("deploy with a broken link: %v", err)
				}
				if cur := w.current("shop"); cur["8081"] != "v2" || cur["8082"] != "v2" || cur["8083"] != "v2" {
					t.Errorf("after deploy: %v", cur)
				}
				b.do(t, w.store("shop"))
				res, err = w.h.Rollback(t.Context(), RollbackOptions{Service: "shop"}, nil)
				if err != nil || res.Record.Result != release.ResultSucceeded || res.Record.To != "v1" {
					t.Fatalf("rollback with a broken link: %v", err)
				}
				if cur := w.current("shop"); cur["8081"] != "v1" || cur["8082"] != "v1" || cur["8083"] != "v1" {
					t.Errorf("after rollback: %v", cur)
				}
				st, err := w.h.Status(t.Context(), StatusOptions{Service: "shop", NoProbe: true})
				if err != nil || st.Healthy != 3 {
					t.Errorf("status after the repair: %v %+v", err, st)
				}
			})
		})
	}
}
