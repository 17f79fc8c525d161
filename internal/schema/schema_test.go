package schema

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/analysis"
	"github.com/sysroll/sysroll/internal/buildinfo"
	"github.com/sysroll/sysroll/internal/diagnose"
	"github.com/sysroll/sysroll/internal/fleet/journal"
	"github.com/sysroll/sysroll/internal/fleet/plan"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/traffic"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func sampleRecord() release.Record {
	return release.Record{
		ID: "20261201T100000Z-a1b2c3", Service: "hello", Kind: release.KindDeploy,
		From: "v1", To: "v2", User: "ops", Host: "web1", PID: 4242,
		Started: t0, Ended: t0.Add(5 * time.Second), Result: release.ResultRolledBack,
		Reason:  "8082 failed: rolling back batch 2",
		Batches: [][]string{{"8081"}, {"8082"}},
		Instances: []release.Instance{
			{Name: "8081", From: "v1", To: "v2", Phase: release.PhaseDone, Batch: 0, Started: t0, Ended: t0.Add(2 * time.Second),
				InvocationBefore: "0a1b", InvocationAfter: "2c3d"},
			{Name: "8082", From: "v1", To: "v2", Phase: release.PhaseReverted, Batch: 1, Started: t0.Add(2 * time.Second), Ended: t0.Add(5 * time.Second),
				Error: "never ready within 10s", InvocationBefore: "4e5f", InvocationAfter: "6a7b"},
		},
	}
}

// sampleVerdict is a failed ratio measurement, every number set (NaN would
// not round-trip through DeepEqual).
func sampleVerdict() analysis.Verdict {
	q := func(set string) string {
		return `sum(increase(hello_requests_total{instance=~"127\\.0\\.0\\.1:` + set + `",code=~"5.."}[25s]))`
	}
	return analysis.Verdict{Metric: "errors", Outcome: analysis.Fail,
		Reason: "errors: canary 9 of 200 = 0.045, baseline 1 of 600 = 0.001667, bound max(2 × baseline, baseline + 0.002) = 0.003667: above, and significant (p = 0.0017 < 0.01)",
		Canary: 0.045, Baseline: 1.0 / 600, Bound: 0.0036666666666666666, P: 0.0017,
		Measurements: []analysis.Measurement{
			{Metric: "errors", Set: analysis.Canary, At: t0, Queries: []string{q("8081")}, Counts: &analysis.Counts{Events: 9, Exposure: 200}},
			{Metric: "errors", Set: analysis.Baseline, At: t0, Queries: []string{q("8082")}, Counts: &analysis.Counts{Events: 1, Exposure: 600}},
		}}
}

// The documents as sysroll writes them, one golden file each. The golden
// files are the documented shape: a change here is a change of the schema.
func documents() map[string]any {
	rec := sampleRecord()
	interrupted := rec
	interrupted.Result, interrupted.Reason = release.ResultInterrupted, "interrupted: each instance's current step was finished or undone"
	status := &Status{
		Schema: StatusV1, Service: "hello", Target: "active/active", Socket: "active/listening",
		Instances: []InstanceStatus{
			{Instance: "8081", Unit: "hello@8081.service", ActiveState: "active", SubState: "running", PID: 101,
				Release: "v2", Health: Healthy, UptimeSec: 61, Restarts: 0},
			{Instance: "8082", Unit: "hello@8082.service", ActiveState: "active", SubState: "running", PID: 102,
				Release: "v1", SwitchedTo: "v2", Health: Unhealthy, HealthNote: "GET http://127.0.0.1:8082/healthz: status 503", UptimeSec: 3, Restarts: 2},
			{Instance: "8083", Unit: "hello@8083.service", ActiveState: "inactive", SubState: "dead", Health: Down},
		},
		Running: 2, Healthy: 1, Releases: map[string]int{"v1": 1, "v2": 1}, Mixed: true, Interrupted: &interrupted,
		Relaxations: []Relaxation{{Field: "hardening.memory_deny_write_execute", Value: "false", Note: "default true"}},
		Quarantined: []release.Quarantined{{Path: "/var/lib/sysroll/hello/rollouts/20261125T160000-9f3e.json.corrupt-20261201T111500Z",
			Original: "/var/lib/sysroll/hello/rollouts/20261125T160000-9f3e.json", What: "rollout record",
			Reason: "is not valid JSON: it ends at byte 120 before the value does (truncated?)", When: time.Date(2026, 12, 1, 11, 15, 0, 0, time.UTC)}},
	}
	snap := traffic.Snapshot{Requests: 1200, Failed: 1, Kinds: map[string]int64{"http-503": 1},
		P50: 2 * time.Millisecond, P99: 14 * time.Millisecond, Max: 30 * time.Millisecond, Elapsed: 6 * time.Second}
	return map[string]any{
		"event-phase": NewEvent(rollout.Event{Service: "hello", Time: t0, Type: rollout.EventPhase, Instance: "8081",
			Phase: release.PhaseGate, Batch: 0, Elapsed: 1500 * time.Millisecond}),
		"event-instance-failed": NewEvent(rollout.Event{Service: "hello", Time: t0, Type: rollout.EventInstanceFailed, Instance: "8082",
			Batch: 1, Message: "never ready within 10s", Health: "GET http://127.0.0.1:8082/healthz: connection refused",
			Logs: []string{"listen tcp :8082: bind: address already in use", "PermissionError: [Errno 1] Operation not permitted"},
			Hints: []diagnose.Hint{{Key: "hardening.system_call_allow", Fix: "set hardening.system_call_allow: [setuid]",
				Why: "the sandbox's system call filter refused setuid (EPERM)", Line: "PermissionError: [Errno 1] Operation not permitted"}},
			Elapsed: 10 * time.Second}),
		"event-rollout-end": NewEvent(rollout.Event{Service: "hello", Time: t0, Type: rollout.EventRolloutEnd, Batch: -1,
			Result: release.ResultSucceeded, Elapsed: 5 * time.Second}),
		"event-traffic": NewEvent(rollout.Event{Service: "hello", Time: t0, Type: rollout.EventTraffic, Batch: -1,
			Message: "http://127.0.0.1:8080/", Traffic: &snap, Elapsed: 6 * time.Second}),
		"event-seq": func() Event {
			e := NewEvent(rollout.Event{Service: "hello", Time: t0, Type: rollout.EventStaged, Batch: -1,
				Message: "v2 (sha256 9f86d081884c, binary)"})
			e.Seq = 1
			return e
		}(),
		"version": Version{Schema: VersionV1, Info: buildinfo.Info{Version: "1.4.0", Commit: "64b8ff9e2c1d", Date: "2026-12-01T10:00:00Z",
			Go: "go1.26.0", OS: "linux", Arch: "amd64"}, Protocol: FleetProtocol,
			SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", BootID: "0b7a3c0e-1f2d-4c5b-9a8e-7d6c5b4a3f21"},
		"staged": Staged{Schema: StagedV1, Service: "hello", Version: "v2",
			SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Kind: "binary", Size: 1048576},
		"has": Has{Schema: HasV1, Service: "hello", Version: "v2", Has: false,
			SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			Reason: "release v2 has sha256 9f86d081884c..., not 2c26b46b68ff..."},
		"status":   status,
		"services": &Services{Schema: ServicesV1, Services: []*Status{status}},
		"history":  &History{Schema: HistoryV1, Service: "hello", Rollouts: []release.Record{rec}},
		"history-analysis": func() *History {
			r := rec
			r.Reason = "the analysis of batch 1 failed (failed: 1 failed measurements (failure_limit 0); last: " + sampleVerdict().Reason + "; no failure budget applies); reverting batch 1"
			r.Analysis = []release.BatchAnalysis{{Batch: 0, Outcome: "failed", Reason: "1 failed measurements (failure_limit 0); last: " + sampleVerdict().Reason,
				Started: t0, Ended: t0.Add(40 * time.Second), Canary: []string{"8081"}, Baseline: []string{"8082"}, Measured: 1,
				Verdicts: []analysis.Verdict{sampleVerdict()}}}
			return &History{Schema: HistoryV1, Service: "hello", Rollouts: []release.Record{r}}
		}(),
		"event-analysis": NewEvent(rollout.Event{Service: "hello", Time: t0, Type: rollout.EventAnalysis, Batch: 0,
			Message: sampleVerdict().Reason, Verdict: new(sampleVerdict()), Elapsed: 40 * time.Second}),
		"event-analysis-verdict": NewEvent(rollout.Event{Service: "hello", Time: t0, Type: rollout.EventAnalysisVerdict, Batch: 0,
			Message: "batch 1 analysis failed: 1 failed measurements (failure_limit 0)", Elapsed: 40 * time.Second,
			BatchVerdict: &analysis.BatchVerdict{Outcome: analysis.Failed, Reason: "1 failed measurements (failure_limit 0); last: " + sampleVerdict().Reason,
				Last: []analysis.Verdict{sampleVerdict()}}}),
		"history-fleet": func() *History {
			r := rec
			r.FleetID, r.BootID = "f-20261201-1a2b", "0b7a3c0e-1f2d-4c5b-9a8e-7d6c5b4a3f21"
			return &History{Schema: HistoryV1, Service: "hello", Rollouts: []release.Record{r}}
		}(),
		"probe": &Probe{Schema: ProbeV1, Service: "hello",
			Version: Version{Schema: VersionV1, Info: buildinfo.Info{Version: "1.4.0", Commit: "64b8ff9e2c1d", Go: "go1.26.0", OS: "linux", Arch: "amd64"},
				Protocol: FleetProtocol, SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", BootID: "0b7a3c0e-1f2d-4c5b-9a8e-7d6c5b4a3f21"},
			Status: &Status{Schema: StatusV1, Service: "hello", Target: "active/active",
				Instances: []InstanceStatus{{Instance: "8081", Unit: "hello@8081.service", ActiveState: "active", SubState: "running", PID: 101,
					Release: "v1", Health: Healthy, UptimeSec: 61}},
				Running: 1, Healthy: 1, Releases: map[string]int{"v1": 1}},
			Has: &Has{Schema: HasV1, Service: "hello", Version: "v2", Has: true,
				SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
			Claims: []*journal.Claim{{Schema: journal.ClaimSchema, FleetID: "f-20261201-1a2b", Service: "hello", Kind: journal.KindDeploy,
				Target: "v2", Controller: "ops@laptop", Created: t0, Strategy: journal.Strategy{MaxParallel: 1, FailureAction: "rollback"},
				Batches: [][]string{{"web1"}, {"web2"}}, Host: "web1",
				Part: journal.Part{Batch: 0, Phase: plan.PhaseRolling, Unit: "sysroll-fleet-hello-f-20261201-1a2b.service",
					BootID: "0b7a3c0e-1f2d-4c5b-9a8e-7d6c5b4a3f21", Updated: t0.Add(time.Second)}}}},
		"probe-not-applied": &Probe{Schema: ProbeV1, Service: "hello",
			Version:     Version{Schema: VersionV1, Info: buildinfo.Info{Version: "1.4.0", Go: "go1.26.0", OS: "linux", Arch: "amd64"}, Protocol: FleetProtocol},
			StatusError: "service hello is not installed here (no /var/lib/sysroll/hello/service.yaml): run `sysroll apply FILE` first",
			ClaimsError: "fleet claim on web1: /var/lib/sysroll/hello/fleet/f-1.json: unexpected end of JSON input"},
		"plan": &Plan{Schema: PlanV1, Service: "hello", Kind: release.KindDeploy, Target: "v2",
			Batches: []PlanBatch{
				{Instances: []PlanInstance{{Name: "8081", Current: "v1"}}},
				{Instances: []PlanInstance{{Name: "8082", Current: "v1"}, {Name: "8083", Current: ""}}},
			},
			HealthyFor: 2, Deadline: 60, FailureAction: "rollback"},
		"plan-steps": &Plan{Schema: PlanV1, Service: "hello", Kind: release.KindDeploy, Target: "v2",
			Batches: []PlanBatch{
				{Instances: []PlanInstance{{Name: "8081", Current: "v1"}}, PauseAfterSeconds: 900},
				{Instances: []PlanInstance{{Name: "8082", Current: "v1"}, {Name: "8083", Current: "v1"}}},
			},
			HealthyFor: 2, Deadline: 60, FailureAction: "rollback"},
		"plan-analysis": &Plan{Schema: PlanV1, Service: "hello", Kind: release.KindDeploy, Target: "v2",
			Batches: []PlanBatch{
				{Instances: []PlanInstance{{Name: "8081", Current: "v1"}}, PauseAfterSeconds: 900,
					Analysis: &PlanAnalysis{Baseline: []string{"8082", "8083"}, InitialDelaySeconds: 30, IntervalSeconds: 10, Count: 6, DuringPause: true,
						Metrics: []PlanMetric{{Name: "errors", Kind: "ratio", Bounds: []string{"max 0.01", "vs_baseline"}},
							{Name: "smoke", Kind: "exec", Bounds: []string{"exit 0"}}}}},
				{Instances: []PlanInstance{{Name: "8082", Current: "v1"}, {Name: "8083", Current: "v1"}},
					Analysis: &PlanAnalysis{Baseline: []string{}, InitialDelaySeconds: 30, IntervalSeconds: 10, Count: 6,
						Metrics: []PlanMetric{{Name: "errors", Kind: "ratio", Bounds: []string{"max 0.01"}},
							{Name: "smoke", Kind: "exec", Bounds: []string{"exit 0"}}}}},
			},
			HealthyFor: 2, Deadline: 60, FailureAction: "rollback"},
		"event-pause": NewEvent(rollout.Event{Service: "hello", Time: t0, Type: rollout.EventPause, Batch: 0,
			Message: "pausing 15m0s after batch 1, watching 8081", Wait: 15 * time.Minute, Elapsed: 7 * time.Second}),
		"event-pause-end": NewEvent(rollout.Event{Service: "hello", Time: t0, Type: rollout.EventPauseEnd, Batch: 0,
			PauseResult: release.PauseFailed, Message: "8081 restarted (NRestarts 0 → 1)", Elapsed: 97 * time.Second}),
		"history-pauses": func() *History {
			r := rec
			r.Reason = "during the pause: 8081 failed in batch 1; reverting batch 1"
			r.Pauses = []release.Pause{{After: 0, Duration: 15 * time.Minute, Result: release.PauseFailed,
				Started: t0.Add(2 * time.Second), Ended: t0.Add(92 * time.Second), Waited: 90 * time.Second,
				Watch:   []release.Watched{{Name: "8081", InvocationID: "2c3d", NRestarts: 0}},
				Message: "8081 restarted (NRestarts 0 → 1)"}}
			return &History{Schema: HistoryV1, Service: "hello", Rollouts: []release.Record{r}}
		}(),
	}
}

func TestGolden(t *testing.T) {
	for name, doc := range documents() {
		t.Run(name, func(t *testing.T) {
			got, err := json.MarshalIndent(doc, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", name+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s changed: a schema change needs a new version or an added field only.\ngot:\n%s\nwant:\n%s", path, got, want)
			}
			// What is written reads back into the same value: the end-to-end
			// tests and the fleet controller decode with these types.
			back := reflect.New(reflect.TypeOf(doc)).Interface()
			if err := json.Unmarshal(want, back); err != nil {
				t.Fatalf("decode %s: %v", path, err)
			}
			if v := reflect.ValueOf(back).Elem().Interface(); !reflect.DeepEqual(v, doc) {
				t.Errorf("%s does not round-trip:\n got %#v\nwant %#v", path, v, doc)
			}
		})
	}
}

// Every document and event names its schema: a reader can tell what it has
// before it looks further.
func TestEveryDocumentNamesItsSchema(t *testing.T) {
	for name, doc := range documents() {
		b, _ := json.Marshal(doc)
		var head struct {
			Schema string `json:"schema"`
		}
		if err := json.Unmarshal(b, &head); err != nil || head.Schema == "" {
			t.Errorf("%s: no schema field (%v): %s", name, err, b)
		}
	}
}

func TestNewEventCarriesEveryField(t *testing.T) {
	e := rollout.Event{Service: "svc", Time: t0, Type: rollout.EventInstanceFailed, Instance: "a", Phase: release.PhaseGate, Skipped: true,
		Batch: 3, Message: "m", Health: "h", Logs: []string{"l"}, Result: release.ResultFailed, Elapsed: 2 * time.Second,
		Traffic: &traffic.Snapshot{Requests: 5}, Hints: []diagnose.Hint{{Key: "k", Fix: "f", Why: "w", Line: "l"}},
		Wait: 1500 * time.Millisecond, PauseResult: release.PauseFailed,
		Verdict: &analysis.Verdict{Metric: "errors", Outcome: analysis.Fail}, BatchVerdict: &analysis.BatchVerdict{Outcome: analysis.Failed, Reason: "r"}}
	got := NewEvent(e)
	want := Event{Schema: EventV1, Time: t0, Type: "instance-failed", Service: "svc", Instance: "a", Phase: "gate", Skipped: true,
		Batch: 3, Message: "m", Health: "h", Logs: []string{"l"}, Result: release.ResultFailed, Elapsed: 2,
		Traffic: &traffic.Snapshot{Requests: 5}, Hints: []Hint{{Key: "k", Fix: "f", Why: "w", Line: "l"}},
		WaitSeconds: 1.5, PauseResult: "failed",
		Analysis: e.Verdict, AnalysisVerdict: &AnalysisVerdict{Outcome: "failed", Reason: "r"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("NewEvent =\n%#v\nwant\n%#v", got, want)
	}
	// A field added to rollout.Event must be considered here.
	if n := reflect.TypeOf(rollout.Event{}).NumField(); n != 18 {
		t.Errorf("rollout.Event has %d fields, NewEvent maps 18: map the new one", n)
	}
}
