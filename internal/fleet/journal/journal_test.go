package journal_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/fleet/journal"
	"github.com/sysroll/sysroll/internal/fleet/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// sample is a rollout of hello to v2 over 4 hosts, batch 2 in flight.
func sample() *journal.Journal {
	s := journal.FromPlan(plan.Strategy{
		Ramp:          []plan.Size{{N: 1}, {Percent: 50}},
		MaxParallel:   2,
		MaxPerLabel:   map[string]int{"zone": 1},
		OrderBy:       []string{"zone"},
		FailureAction: plan.ActionRollbackAll,
		MinAvailable:  plan.Size{Percent: 75},
	})
	return &journal.Journal{
		Schema: journal.Schema, ID: "f-20261201-120000", Service: "hello", Kind: journal.KindDeploy, Target: "v2",
		Controller: "ops@laptop", Started: t0, Updated: t0.Add(3 * time.Minute), Result: journal.ResultRunning,
		Strategy: s,
		Batches:  [][]string{{"app1"}, {"app2", "app3"}, {"app4"}},
		Hosts: []journal.Host{
			{Name: "app1", Batch: 0, Phase: plan.PhaseDone, RolloutID: "20261201-120005-1", Unit: "sysroll-fleet-hello-f-20261201-120000.service",
				Offset: 2048, BootID: "5f0c6b1e8a3d4c7e9b2a1f0e3d4c5b6a", Result: plan.HostSucceeded, Updated: t0.Add(time.Minute)},
			{Name: "app2", Batch: 1, Phase: plan.PhaseRolling, RolloutID: "20261201-120105-1", Unit: "sysroll-fleet-hello-f-20261201-120000.service",
				Offset: 512, BootID: "0a1b2c3d4e5f60718293a4b5c6d7e8f9", Updated: t0.Add(2 * time.Minute)},
			{Name: "app3", Batch: 1, Phase: plan.PhaseUnknown, Unit: "sysroll-fleet-hello-f-20261201-120000.service",
				Error: "ssh: connect to 10.0.0.13:22: connection refused", Updated: t0.Add(3 * time.Minute)},
			{Name: "app4", Batch: 2, Phase: plan.PhaseStaged, Updated: t0.Add(30 * time.Second)},
		},
		Skipped: []journal.Skipped{{Name: "app5", Why: "unreachable at the start (--skip-unreachable): dial tcp 10.0.0.15:22: i/o timeout"}},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
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
		t.Errorf("%s differs from the encoding (go test -update rewrites it):\n got %s\nwant %s", path, got, want)
	}
}

func TestJournalGolden(t *testing.T) {
	j := sample()
	b, err := journal.Encode(j)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "journal.golden.json", b)
	back, err := journal.Decode("journal.golden.json", b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, j) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, j)
	}
	s, err := back.Strategy.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Ramp) != 2 || s.Ramp[1].Percent != 50 || s.MinAvailable.Percent != 75 || s.MaxPerLabel["zone"] != 1 {
		t.Errorf("strategy read back as %+v", s)
	}
}

func TestClaimGolden(t *testing.T) {
	j := sample()
	c, ok := journal.ClaimFor(j, "app2")
	if !ok {
		t.Fatal("no claim for app2")
	}
	if c.Finished {
		t.Error("a claim of a running rollout is finished")
	}
	b, err := journal.EncodeClaim(c)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "claim.golden.json", b)
	back, err := journal.DecodeClaim("app2", b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, c) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, c)
	}
	if _, ok := journal.ClaimFor(j, "app9"); ok {
		t.Error("a claim for a host outside the plan")
	}
	j.Result = journal.ResultSucceeded
	if c, _ := journal.ClaimFor(j, "app1"); !c.Finished {
		t.Error("a claim of a succeeded rollout is unfinished")
	}
	j.Result = journal.ResultHalted
	if c, _ := journal.ClaimFor(j, "app1"); c.Finished {
		t.Error("a claim of a halted (resumable) rollout is finished")
	}
}

func TestDecodeRefuses(t *testing.T) {
	mutate := func(f func(j *journal.Journal)) []byte {
		j := sample()
		f(j)
		b, err := json.Marshal(j) // not Encode: it would refuse
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	good, err := journal.Encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not a valid document"},
		{"not JSON", []byte("hello"), "not a valid document"},
		{"null", []byte("null"), `schema "", but this sysroll reads "sysroll.fleet.journal/v1"`},
		{"a list", []byte("[]"), "not a valid document"},
		{"trailing data", append(bytes.Clone(good), []byte("{}")...), "data after the JSON object"},
		{"unknown field", bytes.Replace(good, []byte(`"id":`), []byte(`"owner": "x", "id":`), 1), `unknown field "owner"`},
		{"too large", make([]byte, journal.MaxBytes+1), "more than the 8388608"},
		{"other schema", mutate(func(j *journal.Journal) { j.Schema = "sysroll.fleet.journal/v2" }), "use the sysroll that wrote it"},
		{"bad id", mutate(func(j *journal.Journal) { j.ID = "../../etc" }), `id "../../etc"`},
		{"bad service", mutate(func(j *journal.Journal) { j.Service = "Hello World" }), "not a service name"},
		{"bad kind", mutate(func(j *journal.Journal) { j.Kind = "explode" }), `kind "explode"`},
		{"deploy without target", mutate(func(j *journal.Journal) { j.Target = "" }), "target release is empty"},
		{"restart with a target", mutate(func(j *journal.Journal) { j.Kind = journal.KindRestart }), "a restart keeps each host's release"},
		{"bad result", mutate(func(j *journal.Journal) { j.Result = "meh" }), `result "meh"`},
		{"no start", mutate(func(j *journal.Journal) { j.Started = time.Time{} }), "no start time"},
		{"bad strategy", mutate(func(j *journal.Journal) { j.Strategy.Ramp = []string{"1", "0%"} }), "strategy: ramp[1] 0%"},
		{"strategy fails validation", mutate(func(j *journal.Journal) { j.Strategy.FailureAction = "explode" }), `failure_action: "explode"`},
		{"bad deadline", mutate(func(j *journal.Journal) { j.Strategy.ReattachDeadline = "soon" }), "reattach_deadline soon"},
		{"bad lease", mutate(func(j *journal.Journal) { j.Strategy.Lease = "soon" }), "lease soon"},
		{"take-over by no one", mutate(func(j *journal.Journal) {
			j.TakeOvers = []journal.TakeOver{{From: "a@b", At: j.Started, Silent: "1s"}}
		}), "take-over 1: no by"},
		{"take-over without a time", mutate(func(j *journal.Journal) {
			j.TakeOvers = []journal.TakeOver{{By: "c@d", From: "a@b", Silent: "1s"}}
		}), "take-over 1: no time"},
		{"take-over silence not a duration", mutate(func(j *journal.Journal) {
			j.TakeOvers = []journal.TakeOver{{By: "c@d", From: "a@b", At: j.Started, Silent: "long"}}
		}), `take-over 1: silent "long"`},
		{"no batches", mutate(func(j *journal.Journal) { j.Batches = nil; j.Hosts = nil }), "no host batches"},
		{"empty batch", mutate(func(j *journal.Journal) { j.Batches = append(j.Batches, []string{}) }), "host batch 4 is empty"},
		{"host planned twice", mutate(func(j *journal.Journal) { j.Batches[2] = []string{"app1"} }), "host app1 is in the plan twice"},
		{"host entry missing", mutate(func(j *journal.Journal) { j.Hosts = j.Hosts[:3] }), "3 host entries for the 4 planned hosts"},
		{"host entry twice", mutate(func(j *journal.Journal) { j.Hosts[3] = j.Hosts[0] }), "host app1 has two entries"},
		{"host in the wrong batch", mutate(func(j *journal.Journal) { j.Hosts[0].Batch = 1 }), "host app1: batch 2 does not hold it"},
		{"batch out of range", mutate(func(j *journal.Journal) { j.Hosts[0].Batch = 99 }), "host app1: batch 100"},
		{"bad phase", mutate(func(j *journal.Journal) { j.Hosts[1].Phase = "sleeping" }), `host app2: phase "sleeping"`},
		{"bad host result", mutate(func(j *journal.Journal) { j.Hosts[0].Result = "great" }), `host app1: result "great"`},
		{"negative offset", mutate(func(j *journal.Journal) { j.Hosts[1].Offset = -1 }), "host app2: event offset -1 is negative"},
		{"bad unit", mutate(func(j *journal.Journal) { j.Hosts[1].Unit = "x; rm -rf /" }), "is not a service unit name"},
		{"control character in an error", mutate(func(j *journal.Journal) { j.Hosts[2].Error = "boom\x1b[2J" }), "control character U+001B"},
		{"bidi override in the controller", mutate(func(j *journal.Journal) { j.Controller = "ops\u202e@laptop" }), "control character U+202E"},
		{"skipped and planned", mutate(func(j *journal.Journal) { j.Skipped[0].Name = "app2" }), "host app2 is both skipped and planned"},
		{"skipped twice", mutate(func(j *journal.Journal) { j.Skipped = append(j.Skipped, j.Skipped[0]) }), "skipped host app5 is listed twice"},
		{"blank in a host name", mutate(func(j *journal.Journal) { j.Batches[2] = []string{"app 4"}; j.Hosts[3].Name = "app 4" }), "holds a blank"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := journal.Decode("j.json", tt.data)
			if err == nil {
				t.Fatalf("Decode accepted it: %+v", j)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "fleet journal j.json: ") {
				t.Errorf("error %q\nwant one naming the file and %q", err, tt.want)
			}
		})
	}
}

func TestEncodeRefusesInvalid(t *testing.T) {
	j := sample()
	j.Hosts[0].Phase = "sleeping"
	if _, err := journal.Encode(j); err == nil || !strings.Contains(err.Error(), "phase") {
		t.Errorf("Encode = %v, want it to refuse a bad phase", err)
	}
}

func TestDecodeClaimRefuses(t *testing.T) {
	c, _ := journal.ClaimFor(sample(), "app2")
	tests := []struct {
		name string
		f    func(c *journal.Claim)
		want string
	}{
		{"other schema", func(c *journal.Claim) { c.Schema = journal.Schema }, "claimed by another sysroll version"},
		{"host outside the plan", func(c *journal.Claim) { c.Host = "app9" }, "host app9: batch 2 does not hold it"},
		{"no host", func(c *journal.Claim) { c.Host = "" }, `host name "" is empty`},
		{"bad phase", func(c *journal.Claim) { c.Part.Phase = "" }, `phase ""`},
		{"bad fleet id", func(c *journal.Claim) { c.FleetID = "" }, `id ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc := *c
			tt.f(&cc)
			b, err := json.Marshal(&cc)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := journal.DecodeClaim("app2", b); err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "fleet claim on app2") {
				t.Errorf("DecodeClaim = %v, want an error naming the host and %q", err, tt.want)
			}
		})
	}
}

func TestStrategyRoundTrip(t *testing.T) {
	for _, s := range []plan.Strategy{
		{},
		{Batch: plan.Size{N: 3}, FailureBudget: 2, FailureAction: plan.ActionHalt, ReattachDeadline: 90 * time.Second},
		{Ramp: []plan.Size{{N: 1}, {Percent: 25}, {Percent: 100}}, MinAvailable: plan.Size{N: 30}, OrderBy: []string{"zone", "rack"}},
	} {
		back, err := journal.FromPlan(s).Plan()
		if err != nil {
			t.Fatalf("%+v: %v", s, err)
		}
		if !reflect.DeepEqual(back, s) {
			t.Errorf("round trip of %+v gave %+v", s, back)
		}
	}
	for _, bad := range []string{"0", "-1", "01", "1.5", "x", "0%", "101%", "05%", "%"} {
		if _, err := (journal.Strategy{Batch: bad}).Plan(); err == nil {
			t.Errorf("batch %q accepted", bad)
		}
	}
}
