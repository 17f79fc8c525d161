package release

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// NewID returns a new rollout ID: the UTC start time to the second plus
// random hex, e.g. 20261125T165000-3f9a, so IDs sort by time and two
// rollouts in the same second still differ.
func NewID() string {
	return time.Now().UTC().Format("20060102T150405") + "-" + randHex(2)
}

func (s *Store) recordPath(id string) string {
	return filepath.Join(s.dir, rolloutsDir, id+metaSuffix)
}

// SaveRecord writes a rollout record atomically: after a crash the file
// holds this version or the previous one, whole.
func (s *Store) SaveRecord(r *Record) error {
	if err := validName("rollout id", r.ID); err != nil {
		return err
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("save rollout %s: %w", r.ID, err)
	}
	if err := WriteFileAtomic(s.recordPath(r.ID), append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("save rollout %s: %w", r.ID, err)
	}
	return nil
}

// Record reads one rollout record. A corrupt one (see readRecord) is
// moved aside and reported as a *CorruptError naming it.
func (s *Store) Record(id string) (*Record, error) {
	if err := validName("rollout id", id); err != nil {
		return nil, err
	}
	r, err := s.readRecord(id)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("rollout %s: %w", id, ErrNotFound)
	}
	return r, err
}

// readRecord reads and validates rollouts/ID.json. Bad JSON, a record that
// fails Validate or names another ID, a link or a special file in its
// place: all make it corrupt, and it is quarantined, so that one damaged
// record never blocks the rollouts, history and rollbacks after it.
func (s *Store) readRecord(id string) (*Record, error) {
	path := s.recordPath(id)
	data, err := readState(recordWhat, path, maxRecordSize)
	if err == nil {
		var r *Record
		if r, err = DecodeRecord(data); err == nil {
			if r.ID == id {
				return r, nil
			}
			err = fmt.Errorf("field id: %q, but the file is named for %q", r.ID, id)
		}
		err = &CorruptError{What: recordWhat, Path: path, Err: err}
	}
	if ce, ok := errors.AsType[*CorruptError](err); ok {
		return nil, quarantine(ce)
	}
	return nil, err
}

const recordWhat = "rollout record"

// Records returns every rollout record, newest first. Corrupt records are
// quarantined and left out (Quarantined lists them); only an error reading
// the directory or a record (permissions, I/O) fails it.
func (s *Store) Records() ([]Record, error) {
	entries, err := os.ReadDir(filepath.Join(s.dir, rolloutsDir))
	if err != nil {
		return nil, fmt.Errorf("list rollouts: %w", err)
	}
	var recs []Record
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), metaSuffix)
		if !ok || validName("rollout id", id) != nil {
			continue // temp files of a write in progress, quarantined files
		}
		r, err := s.readRecord(id)
		if errors.Is(err, ErrCorrupt) || errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		recs = append(recs, *r)
	}
	slices.SortFunc(recs, func(a, b Record) int {
		if c := b.Started.Compare(a.Started); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return recs, nil
}

// Unfinished returns the newest record still marked running, or nil if there
// is none. If the process that ran it is gone (killed, crashed, lost its
// SSH session), the returned copy says ResultInterrupted, with a Reason;
// the file is left as it is for the caller to resume or roll back and save.
//
// A rollout's process is taken as alive only while it holds the deploy lock
// (every rollout holds it from start to end), which, unlike kill(pid, 0),
// cannot be fooled by a recycled PID.
func (s *Store) Unfinished() (*Record, error) {
	recs, err := s.Records()
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		if r.Result != ResultRunning {
			continue
		}
		if !s.alive(r.PID) {
			r.Result = ResultInterrupted
			if r.Reason == "" {
				r.Reason = fmt.Sprintf("sysroll (pid %d) stopped before the rollout finished", r.PID) + r.PauseNote()
			}
		}
		return &r, nil
	}
	return nil, nil
}

// Alive says whether pid is the live process running a rollout here: it
// holds the deploy lock.
func (s *Store) Alive(pid int) bool { return s.alive(pid) }

// alive says whether pid is the live process running a rollout here.
func (s *Store) alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		return true
	}
	holder, held, err := s.lockHolder()
	if err != nil || (held && holder.PID == 0) {
		// Cannot tell from the lock; fall back to the PID alone.
		return unix.Kill(pid, 0) != unix.ESRCH
	}
	return held && holder.PID == pid
}
