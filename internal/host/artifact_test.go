package host

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
)

// A single binary keeps its own file name: deployed for a command that runs
// {release}/app, ./app-v2 would fail the first instance with 203/EXEC.
// Deploy refuses it before any systemd call; --as gives it its name.
func TestDeployRefusesAReleaseWithoutTheProgram(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.install("shop", three)
		bin := filepath.Join(w.dir, "app-v2")
		if err := os.WriteFile(bin, []byte("#!/bin/sh\necho v2\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		before := len(w.fake.Calls())
		_, err := w.h.Deploy(t.Context(), DeployOptions{Service: "shop", Artifact: bin, Version: "v2"}, nil)
		wantInput(t, err, "release rejected, no instance touched")
		wantInput(t, err, "the release has app-v2, the command runs {release}/app: give the binary its name with --as app")
		if calls := w.fake.Calls()[before:]; len(calls) != 0 {
			t.Errorf("systemd calls %v, want none", calls)
		}
		if _, err := w.store("shop").Get("v2"); err == nil {
			t.Errorf("release v2 was committed")
		}

		res, err := w.h.Deploy(t.Context(), DeployOptions{Service: "shop", Artifact: bin, Version: "v2", As: "app"}, nil)
		if err != nil {
			t.Fatalf("deploy --as app: %v", err)
		}
		if res.Staged.Artifact != "app" {
			t.Errorf("staged %+v, want the binary named app", res.Staged)
		}
		if r := w.restarts(); len(r) != 3 {
			t.Errorf("restarts %v, want each instance once", r)
		}
	})
}

// A --check that runs and fails is a failed operation (exit 1), not bad
// usage (exit 2): the input was fine, the release was not.
func TestDeployFailedCheckIsAFailedOperation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.install("shop", three)
		before := len(w.fake.Calls())
		_, err := w.h.Deploy(t.Context(), DeployOptions{Service: "shop", Artifact: w.artifact("v2"), Check: []string{"false"}}, nil)
		if err == nil || !strings.Contains(err.Error(), `release rejected, no instance touched: `) || !strings.Contains(err.Error(), `check "false" failed`) {
			t.Fatalf("deploy = %v, want the check's failure", err)
		}
		if _, ok := errors.AsType[*InputError](err); ok {
			t.Errorf("error %v is an *InputError (exit 2), want a failed operation", err)
		}
		if calls := w.fake.Calls()[before:]; len(calls) != 0 {
			t.Errorf("systemd calls %v, want none", calls)
		}
	})
}

// The first apply stages its artifact the same way: a binary the command
// does not run is refused before anything is installed; --as names it.
func TestApplyRefusesAReleaseWithoutTheProgram(t *testing.T) {
	w := newWorld(t)
	bin := filepath.Join(w.dir, "app-v1")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho v1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	file := w.serviceFile("shop", []string{"8081"})
	_, err := w.h.Apply(t.Context(), ApplyOptions{File: file, Artifact: bin, Version: "v1"})
	wantInput(t, err, "give the binary its name with --as app")
	if calls := w.fake.Calls(); len(calls) != 0 {
		t.Errorf("a refused apply called systemd: %+v", calls)
	}
	if _, err := os.Stat(filepath.Join(w.h.UnitDir, "shop@.service")); !os.IsNotExist(err) {
		t.Errorf("a refused apply installed units: %v", err)
	}
	rep, err := w.h.Apply(t.Context(), ApplyOptions{File: file, Artifact: bin, Version: "v1", As: "app"})
	if err != nil {
		t.Fatalf("apply --as app: %v", err)
	}
	if rep.StagedRelease == nil || rep.StagedRelease.Artifact != "app" {
		t.Errorf("staged %+v, want the binary named app", rep.StagedRelease)
	}
}
