package host

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sysroll/sysroll/internal/fleet/journal"
	"github.com/sysroll/sysroll/internal/fleet/plan"
	"github.com/sysroll/sysroll/internal/release"
)

// plantClaim writes fleet rollout id's claim of service on this host, as
// a controller leaves it.
func (w *world) plantClaim(service, id string, finished bool) {
	w.t.Helper()
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	c := &journal.Claim{Schema: journal.ClaimSchema, FleetID: id, Service: service, Kind: journal.KindDeploy, Target: "v9",
		Controller: "ops@laptop", Created: at, Strategy: journal.FromPlan(plan.Strategy{}.WithDefaults()),
		Batches: [][]string{{"h1"}}, Host: "h1", Part: journal.Part{Phase: plan.PhaseStaged, Updated: at}, Finished: finished}
	data, err := journal.EncodeClaim(c)
	if err != nil {
		w.t.Fatal(err)
	}
	dir := filepath.Join(w.h.StateRoot, service, "fleet")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, id+".json"), data, 0o644); err != nil {
		w.t.Fatal(err)
	}
}

func TestLocalRolloutRefusedWhileFleetClaimed(t *testing.T) {
	tests := []struct {
		name     string
		fleet    string // --fleet
		finished bool
		garbage  bool // the claim is not a claim
		run      func(w *world) error
		wantErr  string // "" for allowed
	}{
		{name: "local deploy refused", run: deploy, wantErr: "deploy of shop refused: fleet rollout f1 (started by ops@laptop, driven by ops@laptop) holds this host and has not finished"},
		{name: "local restart refused", run: restart, wantErr: "restart of shop refused: fleet rollout f1"},
		{name: "local rollback refused", run: rollback, wantErr: "rollback of shop refused: fleet rollout f1"},
		{name: "the fleet's own step goes on", fleet: "f1", run: deploy},
		{name: "another fleet's step is refused", fleet: "f2", run: deploy, wantErr: "fleet rollout f1"},
		{name: "a finished claim holds nothing", finished: true, run: deploy},
		{name: "an unreadable claim refuses", garbage: true, run: deploy, wantErr: "a fleet rollout may hold the service"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t)
				w.install("shop", three)
				w.plantClaim("shop", "f1", tt.finished)
				if tt.garbage {
					if err := os.WriteFile(filepath.Join(w.h.StateRoot, "shop", "fleet", "f1.json"), []byte("{"), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				w.h.Fleet = tt.fleet
				before := w.current("shop")
				err := tt.run(w)
				if tt.wantErr == "" {
					if err != nil {
						t.Fatalf("want allowed: %v", err)
					}
					return
				}
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				if !tt.garbage && !strings.Contains(err.Error(), "`sysroll fleet deploy FILE --resume`") {
					t.Errorf("the refusal does not say how to finish the fleet rollout: %v", err)
				}
				if after := w.current("shop"); !equalMaps(before, after) || len(w.restarts()) > 0 {
					t.Errorf("a refused verb changed the instances: %v -> %v, restarts %v", before, after, w.restarts())
				}
			})
		})
	}
}

func deploy(w *world) error {
	_, err := w.h.Deploy(w.t.(*testing.T).Context(), DeployOptions{Service: "shop", Artifact: w.artifact("v2"), Version: "v2"}, nil)
	return err
}

func restart(w *world) error {
	_, err := w.h.Restart(w.t.(*testing.T).Context(), RestartOptions{Service: "shop"}, nil)
	return err
}

func rollback(w *world) error {
	_, err := w.h.Rollback(w.t.(*testing.T).Context(), RollbackOptions{Service: "shop", To: "v1"}, nil)
	return err
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// deploy --resume completes the fleet's own step (the fleet's --resume
// runs it so, without --fleet: its record carries the rollout), but not a
// local rollout while a fleet claim holds the host.
func TestResumeWhileFleetClaimed(t *testing.T) {
	for _, tt := range []struct {
		name, stepFleet, wantErr string
	}{
		{name: "the fleet's own interrupted step resumes", stepFleet: "f1"},
		{name: "a local interrupted rollout does not", stepFleet: "", wantErr: "deploy --resume of shop refused: fleet rollout f1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t)
				w.install("shop", three)
				w.h.Fleet = tt.stepFleet
				interruptAfterFirst(t, w)
				w.h.Fleet = ""
				w.plantClaim("shop", "f1", false)
				res, err := w.h.Resume(t.Context(), ResumeOptions{Service: "shop"}, nil)
				if tt.wantErr == "" {
					if err != nil || res.Record.Result != release.ResultSucceeded || res.Record.FleetID != "f1" {
						t.Fatalf("resume of the fleet's step: %v %+v", err, res)
					}
					return
				}
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
			})
		})
	}
}
