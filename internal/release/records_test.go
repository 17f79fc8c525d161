package release

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

func sampleRecord(id string, started time.Time, result Result, pid int) *Record {
	return &Record{
		ID: id, Service: "hello", Kind: KindDeploy, From: "v1", To: "v2",
		User: "alice", Host: "box", PID: pid, Started: started, Result: result,
		Batches: [][]string{{"8081"}, {"8082", "8083"}},
		Instances: []Instance{
			{Name: "8081", From: "v1", To: "v2", Phase: PhaseDone, Batch: 0, Started: started, Ended: started.Add(time.Second),
				InvocationBefore: "aa", InvocationAfter: "bb"},
			{Name: "8082", From: "v1", To: "v2", Phase: PhaseGate, Batch: 1, Started: started},
			{Name: "8083", From: "v1", To: "v2", Phase: PhasePending, Batch: 1},
		},
	}
}

func TestRecordRoundTrip(t *testing.T) {
	s := newStore(t)
	t0 := time.Date(2026, 11, 25, 16, 50, 0, 0, time.UTC)
	in := sampleRecord("20261125T165000-abcd", t0, ResultRunning, 42)
	if err := s.SaveRecord(in); err != nil {
		t.Fatal(err)
	}
	in.Instances[1].Phase = PhaseFailed // rewritten at every step
	in.Result, in.Reason, in.Ended = ResultRolledBack, "8082: probe failed", t0.Add(time.Minute)
	if err := s.SaveRecord(in); err != nil {
		t.Fatal(err)
	}
	out, err := s.Record(in.ID)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(in)
	b, _ := json.Marshal(out)
	if string(a) != string(b) {
		t.Errorf("round trip:\n got %s\nwant %s", b, a)
	}
	if m := mode(t, s.recordPath(in.ID)); m != 0o600 {
		t.Errorf("record mode %v", m)
	}
	entries, _ := os.ReadDir(filepath.Join(s.Dir(), rolloutsDir))
	if len(entries) != 1 {
		t.Errorf("rollouts/ holds %d files, want 1 (no temp files)", len(entries))
	}
	if _, err := s.Record("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Record(nope) = %v, want ErrNotFound", err)
	}
	if err := s.SaveRecord(&Record{ID: "../escape"}); err == nil {
		t.Error("SaveRecord accepted a hostile ID")
	}
}

func TestRecordsNewestFirst(t *testing.T) {
	s := newStore(t)
	t0 := time.Date(2026, 11, 25, 16, 0, 0, 0, time.UTC)
	for i, id := range []string{"b", "a", "c"} {
		must(t, s.SaveRecord(sampleRecord(id, t0.Add(time.Duration(i)*time.Hour), ResultSucceeded, 1)))
	}
	os.WriteFile(filepath.Join(s.Dir(), rolloutsDir, ".c.json.tmp-1"), []byte("{"), 0o600)
	recs, err := s.Records()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.ID)
	}
	if len(ids) != 3 || ids[0] != "c" || ids[1] != "a" || ids[2] != "b" {
		t.Errorf("Records order %v, want [c a b]", ids)
	}
}

func TestUnfinished(t *testing.T) {
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	deadPID := dead.Process.Pid
	t0 := time.Date(2026, 11, 25, 16, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		records    []*Record
		wantID     string
		wantResult Result
	}{
		{"none", nil, "", ""},
		{"only finished", []*Record{sampleRecord("a", t0, ResultSucceeded, os.Getpid())}, "", ""},
		{"ours, running", []*Record{sampleRecord("a", t0, ResultRunning, os.Getpid())}, "a", ResultRunning},
		{"dead process", []*Record{sampleRecord("a", t0, ResultRunning, deadPID)}, "a", ResultInterrupted},
		{"no pid", []*Record{sampleRecord("a", t0, ResultRunning, 0)}, "a", ResultInterrupted},
		{"newest running wins", []*Record{
			sampleRecord("old", t0, ResultRunning, deadPID),
			sampleRecord("new", t0.Add(time.Hour), ResultRunning, os.Getpid()),
			sampleRecord("newer-done", t0.Add(2*time.Hour), ResultHalted, deadPID),
		}, "new", ResultRunning},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			for _, r := range tc.records {
				must(t, s.SaveRecord(r))
			}
			r, err := s.Unfinished()
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantID == "" {
				if r != nil {
					t.Errorf("Unfinished = %+v, want nil", r)
				}
				return
			}
			if r == nil || r.ID != tc.wantID || r.Result != tc.wantResult {
				t.Fatalf("Unfinished = %+v, want %s %s", r, tc.wantID, tc.wantResult)
			}
			if tc.wantResult == ResultInterrupted && r.Reason == "" {
				t.Error("interrupted record has no reason")
			}
			// The file is left for the caller to settle.
			onDisk, _ := s.Record(r.ID)
			if onDisk.Result != ResultRunning {
				t.Errorf("Unfinished rewrote the record: %s", onDisk.Result)
			}
		})
	}
}

func TestNewID(t *testing.T) {
	re := regexp.MustCompile(`^\d{8}T\d{6}-[0-9a-f]{4}$`)
	seen := map[string]bool{}
	for range 20 {
		id := NewID()
		if !re.MatchString(id) || validName("rollout id", id) != nil {
			t.Fatalf("NewID() = %q", id)
		}
		seen[id] = true
	}
	if len(seen) < 15 {
		t.Errorf("only %d distinct IDs of 20", len(seen))
	}
}
