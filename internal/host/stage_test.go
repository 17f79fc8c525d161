package host

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/sysroll/sysroll/internal/release"
)

// binArtifact writes a single executable app (a binary artifact) for
// version and returns its path and sha256.
func (w *world) binArtifact(version string) (string, string) {
	w.t.Helper()
	p := filepath.Join(w.dir, "bins", version, "app")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		w.t.Fatal(err)
	}
	body := []byte("#!/bin/sh\necho " + version + "\n")
	if err := os.WriteFile(p, body, 0o755); err != nil {
		w.t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	return p, hex.EncodeToString(sum[:])
}

func TestStageThenDeployVersion(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.install("shop", three)
		ctx := t.Context()
		bin, sum := w.binArtifact("v2")
		rel, err := w.h.Stage(ctx, StageOptions{Service: "shop", Artifact: bin, Version: "v2", ExpectSHA256: sum})
		if err != nil || rel.SHA256 != sum || rel.Kind != release.ArtifactBinary {
			t.Fatalf("stage: %+v, %v", rel, err)
		}
		if len(w.restarts()) != 0 {
			t.Fatalf("stage restarted %v", w.restarts())
		}
		if cur := w.current("shop"); cur["8081"] != "v1" {
			t.Fatalf("stage moved an instance: %v", cur)
		}
		var ev events
		res, err := w.h.Deploy(ctx, DeployOptions{Service: "shop", Version: "v2"}, &ev)
		if err != nil || res.Record.Result != release.ResultSucceeded || res.Staged.SHA256 != sum {
			t.Fatalf("deploy --version v2: %+v, %v", res, err)
		}
		if !strings.Contains(ev.list[0].Message, "staged before") {
			t.Errorf("first event %q does not say the release was staged before", ev.list[0].Message)
		}
		for inst, v := range w.current("shop") {
			if v != "v2" {
				t.Errorf("%s on %s after deploy --version v2", inst, v)
			}
		}
	})
}

func TestStageRefusals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.install("shop", three)
		ctx := t.Context()
		bin, _ := w.binArtifact("v2")
		wrong := strings.Repeat("ab", 32)
		_, err := w.h.Stage(ctx, StageOptions{Service: "shop", Artifact: bin, Version: "v2", ExpectSHA256: wrong})
		if _, ok := errors.AsType[*release.ChecksumError](err); !ok {
			t.Fatalf("mismatch: %v, want a ChecksumError", err)
		}
		if _, ok := errors.AsType[*InputError](err); ok {
			t.Errorf("a mismatch is a failed operation (exit 1), not bad input: %v", err)
		}
		if _, err := w.store("shop").Get("v2"); !errors.Is(err, release.ErrNotFound) {
			t.Errorf("a mismatch kept v2: %v", err)
		}
		_, err = w.h.Stage(ctx, StageOptions{Service: "shop", Artifact: bin, ExpectSHA256: "abc"})
		wantInput(t, err, "64 hex digits")
		_, err = w.h.Stage(ctx, StageOptions{Service: "ghost", Artifact: bin})
		wantInput(t, err, "not installed")
		_, err = w.h.Stage(ctx, StageOptions{Service: "shop"})
		wantInput(t, err, "artifact")
	})
}

func TestDeployVersionNotStaged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.install("shop", three)
		_, err := w.h.Deploy(t.Context(), DeployOptions{Service: "shop", Version: "v9"}, nil)
		wantInput(t, err, "staged: v1")
		_, err = w.h.Deploy(t.Context(), DeployOptions{Service: "shop"}, nil)
		wantInput(t, err, "artifact")
		_, err = w.h.Deploy(t.Context(), DeployOptions{Service: "shop", Version: "v1", As: "x"}, nil)
		wantInput(t, err, "no As or Check")
		if len(w.restarts()) != 0 {
			t.Errorf("a refused deploy restarted %v", w.restarts())
		}
	})
}

func TestHas(t *testing.T) {
	w := newWorld(t)
	w.install("shop", three)
	ctx := t.Context()
	bin, sum := w.binArtifact("v2")
	if _, err := w.h.Stage(ctx, StageOptions{Service: "shop", Artifact: bin, Version: "v2"}); err != nil {
		t.Fatal(err)
	}
	other := strings.Repeat("0", 64)
	for _, tc := range []struct {
		name, version, sum string
		has                bool
		reason             string
	}{
		{"exact", "v2", sum, true, ""},
		{"exact, upper case", "v2", strings.ToUpper(sum), true, ""},
		{"other sha256", "v2", other, false, "not " + other},
		{"not staged", "v3", sum, false, "not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := w.h.Has(ctx, HasOptions{Service: "shop", Version: tc.version, SHA256: tc.sum})
			if err != nil || got.Has != tc.has || !strings.Contains(got.Reason, tc.reason) || (tc.has && got.Reason != "") {
				t.Errorf("Has = %+v, %v; want has=%v reason ~%q", got, err, tc.has, tc.reason)
			}
		})
	}
	// Changed behind sysroll's back: not the release asked for.
	p := filepath.Join(w.store("shop").Path("v2"), "app")
	if err := os.Chmod(p, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho evil\n"), 0o755); err != nil {
		t.Skipf("cannot change the release here: %v", err)
	}
	got, err := w.h.Has(ctx, HasOptions{Service: "shop", Version: "v2", SHA256: sum})
	if err != nil || got.Has || !strings.Contains(got.Reason, "repairs") {
		t.Errorf("changed release: Has = %+v, %v", got, err)
	}
	_, err = w.h.Has(ctx, HasOptions{Service: "shop", Version: "../x", SHA256: sum})
	wantInput(t, err, "version")
	_, err = w.h.Has(ctx, HasOptions{Service: "shop", Version: "v2", SHA256: "xyz"})
	wantInput(t, err, "64 hex")
}

// Every record a fleet's rollout writes names the fleet and the boot it
// started in; a resumed one keeps both.
func TestRecordCarriesFleetAndBootID(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.install("shop", three)
		w.h.Fleet, w.h.BootID = "f-1", "0b7a3c0e-1f2d-4c5b-9a8e-7d6c5b4a3f21"
		res, err := w.h.Deploy(t.Context(), DeployOptions{Service: "shop", Artifact: w.artifact("v2"), Version: "v2"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := w.store("shop").Record(res.Record.ID)
		if err != nil || rec.FleetID != "f-1" || rec.BootID != w.h.BootID {
			t.Fatalf("record %+v, %v; want fleet f-1 and the boot ID", rec, err)
		}
		j := stampJournal{j: w.store("shop"), fleet: "f-2", boot: "other"}
		if err := j.SaveRecord(rec); err != nil {
			t.Fatal(err)
		}
		again, _ := w.store("shop").Record(rec.ID)
		if again.FleetID != "f-1" || again.BootID != w.h.BootID {
			t.Errorf("a later save replaced the fleet or boot ID: %+v", again)
		}
		w.h.Fleet = ""
		res, err = w.h.Restart(t.Context(), RestartOptions{Service: "shop"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rec, _ := w.store("shop").Record(res.Record.ID); rec.FleetID != "" || rec.BootID == "" {
			t.Errorf("local restart: fleet %q boot %q", rec.FleetID, rec.BootID)
		}
	})
}
