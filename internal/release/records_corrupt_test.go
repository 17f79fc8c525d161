package release

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCorruptRecords: one damaged or crafted record is named (file and
// field), quarantined, and does not block Records, Unfinished (so deploy,
// history and rollback) nor Record of the other rollouts.
func TestCorruptRecords(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 16, 50, 0, 0, time.UTC)
	good := func() []byte {
		b, _ := json.Marshal(sampleRecord("bad", t0, ResultRolledBack, 7))
		return b
	}
	edit := func(f func(r *Record)) func(t *testing.T, path string) {
		return func(t *testing.T, path string) {
			r := sampleRecord("bad", t0, ResultRolledBack, 7)
			f(r)
			b, _ := json.Marshal(r)
			must(t, os.WriteFile(path, b, 0o600))
		}
	}
	write := func(data []byte) func(t *testing.T, path string) {
		return func(t *testing.T, path string) { must(t, os.WriteFile(path, data, 0o600)) }
	}
	for _, tc := range []struct {
		name  string
		plant func(t *testing.T, path string)
		msg   string
	}{
		{"truncated", write(good()[:120]), "ends at byte 120 before the value does (truncated?)"},
		{"empty", write(nil), "is empty"},
		{"garbage", write([]byte("{\"id\": \"bad\", xx}")), "is not valid JSON at byte 15"},
		{"wrong type", write([]byte(`{"id":"bad","batches":"8081"}`)), "field batches at byte 28: a JSON string cannot be a [][]string"},
		{"batch out of range", edit(func(r *Record) { r.Instances[2].Batch = 7 }), "field instances[2].batch: 7 is out of range: the record plans 2 batches"},
		{"batch below -1", edit(func(r *Record) { r.Instances[0].Batch = -5 }), "field instances[0].batch: -5 is out of range"},
		{"negative pid", edit(func(r *Record) { r.PID = -1 }), "field pid: -1 is negative"},
		{"unknown result", edit(func(r *Record) { r.Result = "exploded" }), `field result: "exploded" is not one of`},
		{"unknown kind", edit(func(r *Record) { r.Kind = "nuke" }), `field kind: "nuke" is not one of`},
		{"unknown phase", edit(func(r *Record) { r.Instances[1].Phase = "limbo" }), `field instances[1].phase: "limbo"`},
		{"bad instance name", edit(func(r *Record) { r.Instances[0].Name = "../x"; r.Batches[0][0] = "../x" }), `field instances[0].name: invalid instance "../x"`},
		{"duplicate instance", edit(func(r *Record) { r.Instances[2].Name = "8082" }), `field instances[2].name: instance "8082" is also instances[1]`},
		{"batch names a stranger", edit(func(r *Record) { r.Batches[1] = append(r.Batches[1], "9999") }), `field batches[1][2]: "9999" is not an instance of the record`},
		{"batch disagrees", edit(func(r *Record) { r.Batches = [][]string{{"8082"}, {"8081", "8083"}} }), `instance "8082" is in batch 0, but instances[1].batch says 1`},
		{"bad to", edit(func(r *Record) { r.To = "v1.json" }), `field to: invalid version "v1.json"`},
		{"bad instance from", edit(func(r *Record) { r.Instances[0].From = "../../etc" }), `field instances[0].from: invalid version`},
		{"id of another file", edit(func(r *Record) { r.ID = "other" }), `field id: "other", but the file is named for "bad"`},
		{"too large", write([]byte(`{"id":"bad","reason":"` + strings.Repeat("x", maxRecordSize) + `"}`)), "is unusable: file too large"},
		{"fifo", func(t *testing.T, path string) { must(t, syscall.Mkfifo(path, 0o600)) }, "not a regular file (a named pipe)"},
		{"symlink", func(t *testing.T, path string) { must(t, os.Symlink("/etc/passwd", path)) }, "is a symbolic link"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			must(t, s.SaveRecord(sampleRecord("20261125T165000-aaaa", t0, ResultRunning, 0)))
			must(t, s.SaveRecord(sampleRecord("20261125T170000-bbbb", t0.Add(time.Hour), ResultSucceeded, 0)))
			path := s.recordPath("bad")
			tc.plant(t, path)

			_, err := s.Record("bad")
			wantErr(t, err, "rollout record "+path)
			wantErr(t, err, tc.msg)
			wantErr(t, err, "moved aside to "+path+corruptMark)
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("error is not ErrCorrupt: %v", err)
			}
			if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s still there after quarantine: %v", path, err)
			}
			// Planted again: Records and Unfinished skip it (and move it too).
			tc.plant(t, path)
			recs, err := s.Records()
			if err != nil || len(recs) != 2 {
				t.Fatalf("Records = %d records, %v; want the 2 good ones", len(recs), err)
			}
			un, err := s.Unfinished()
			if err != nil || un == nil || un.ID != "20261125T165000-aaaa" {
				t.Fatalf("Unfinished = %+v, %v", un, err)
			}
			q, err := s.Quarantined()
			if err != nil || len(q) != 2 {
				t.Fatalf("Quarantined = %+v, %v; want 2", q, err)
			}
			for _, q := range q {
				if q.Original != path || q.What != recordWhat || !strings.Contains(q.Reason, tc.msg) || q.When.IsZero() {
					t.Errorf("quarantined %+v: want original %s, reason with %q", q, path, tc.msg)
				}
			}
			if tc.name == "symlink" {
				if _, err := os.Stat("/etc/passwd"); err != nil {
					t.Errorf("the link's target: %v", err)
				}
			}
		})
	}
}
