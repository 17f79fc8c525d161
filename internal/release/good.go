package release

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"time"
)

// ErrNoGoodRelease is wrapped by PreviousGood when there is nothing proven
// good to go back to.
var ErrNoGoodRelease = errors.New("no release proven good to roll back to")

// maxGoodHistory bounds the known-good file.
const maxGoodHistory = 50

// GoodHistory is the content of the known-good file: the releases proven
// good, oldest first, and which of them the service is on.
//
// It works like an editor's undo stack, so rollbacks walk back one release
// at a time instead of bouncing between the last two: marking good the
// release just before the current entry moves Current back to it; marking
// any other release drops the entries after Current (undone ones) and
// appends it.
type GoodHistory struct {
	Version string      `json:"version"` // the known-good release: Entries[Current]
	Current int         `json:"current"`
	Entries []GoodEntry `json:"entries"`
	// Rebuilt: the known-good file was corrupt and this history was
	// rebuilt from the rollout records (not stored).
	Rebuilt bool `json:"-"`
}

// GoodEntry is one release proven good.
type GoodEntry struct {
	Version string    `json:"version"`
	At      time.Time `json:"at"` // when it was marked good
}

// GoodHistory reads the known-good history (empty if nothing was ever
// marked good). A corrupt known-good file is quarantined and the history
// rebuilt from the rollout records (see rebuildGood), with Rebuilt set,
// until MarkGood writes it again.
func (s *Store) GoodHistory() (GoodHistory, error) {
	path := filepath.Join(s.dir, knownGoodFile)
	var h GoodHistory
	data, err := readState(goodWhat, path, maxKnownGoodSize)
	if errors.Is(err, fs.ErrNotExist) {
		if len(quarantinedAs(path)) > 0 {
			return s.rebuildGood() // lost earlier, not yet written again
		}
		return h, nil
	}
	if err == nil {
		if err = decodeState(goodWhat, path, data, &h); err == nil {
			if verr := h.validate(); verr != nil {
				err = &CorruptError{What: goodWhat, Path: path, Err: verr}
			}
		}
	}
	ce, ok := errors.AsType[*CorruptError](err)
	if !ok {
		return h, err // nil, or a read error (permissions, I/O)
	}
	if err := quarantine(ce); ce.Moved == "" {
		return GoodHistory{}, err // cannot move it: say why rather than guess
	}
	return s.rebuildGood()
}

const goodWhat = "known-good history"

// validate checks what MarkGood and PreviousGood index with.
func (h GoodHistory) validate() error {
	var errs []error
	if len(h.Entries) > 0 && (h.Current < 0 || h.Current >= len(h.Entries)) {
		errs = append(errs, fmt.Errorf("field current: %d is out of range: %d entries", h.Current, len(h.Entries)))
	}
	if len(h.Entries) == 0 && (h.Current != 0 || h.Version != "") {
		errs = append(errs, fmt.Errorf("field version: %q with no entries", h.Version))
	}
	for i, e := range h.Entries {
		if err := validName("version", e.Version); err != nil {
			errs = append(errs, fmt.Errorf("field entries[%d].version: %w", i, err))
		}
	}
	if len(h.Entries) > 0 && h.Current >= 0 && h.Current < len(h.Entries) && h.Version != h.Entries[h.Current].Version {
		errs = append(errs, fmt.Errorf("field version: %q, but entries[%d] (current) is %q", h.Version, h.Current, h.Entries[h.Current].Version))
	}
	return errors.Join(errs...)
}

// rebuildGood reconstructs the known-good history after its file was lost
// to corruption. It assumes only what a record proves: a release is good
// if a rollout to it succeeded on every instance (a record with result
// succeeded), which is exactly when a rollout marks it good. Replaying
// those rollouts oldest first through the same rule as MarkGood gives the
// same undo stack, except for releases marked good by a first `apply`
// (no record): those are left out, so the rebuilt history can only know
// fewer releases as good, never more.
func (s *Store) rebuildGood() (GoodHistory, error) {
	recs, err := s.Records()
	if err != nil {
		return GoodHistory{}, fmt.Errorf("rebuild %s from the rollout records: %w", goodWhat, err)
	}
	h := GoodHistory{Rebuilt: true}
	for i := len(recs) - 1; i >= 0; i-- { // Records is newest first
		if r := recs[i]; r.Result == ResultSucceeded && r.To != "" {
			at := r.Ended
			if at.IsZero() {
				at = r.Started
			}
			h = s.marked(h, r.To, at.UTC())
		}
	}
	return h, nil
}

// KnownGood returns the last release proven good, or "" if none.
func (s *Store) KnownGood() (string, error) {
	h, err := s.GoodHistory()
	return h.Version, err
}

// MarkGood records that the service was proven good on version, after a
// rollout (deploy or rollback) succeeded on every instance. A known-good
// file that was corrupt is rebuilt first (GoodHistory), so a rollout that
// succeeded is never failed by it.
func (s *Store) MarkGood(version string) error {
	// Under the stage lock, so Prune sees the history before or after this
	// change, never deletes the release being marked.
	unlock, err := s.stageLock()
	if err != nil {
		return fmt.Errorf("mark %s good: %w", version, err)
	}
	defer unlock()
	if _, err := s.Get(version); err != nil {
		return fmt.Errorf("mark %s good: %w", version, err)
	}
	h, err := s.GoodHistory()
	if err != nil {
		return fmt.Errorf("mark %s good: %w", version, err)
	}
	if h.Version == version && !h.Rebuilt {
		return nil // e.g. a restart: nothing changed
	}
	h = s.marked(h, version, time.Now().UTC())
	data, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return fmt.Errorf("mark %s good: %w", version, err)
	}
	return WriteFileAtomic(filepath.Join(s.dir, knownGoodFile), append(data, '\n'), 0o600)
}

// marked is h after version was proven good at time at (see GoodHistory).
func (s *Store) marked(h GoodHistory, version string, at time.Time) GoodHistory {
	h.Entries = slices.Clone(h.Entries)
	prev := s.previousIndex(h, h.Version)
	switch {
	case h.Version == version:
		return h
	case prev >= 0 && h.Entries[prev].Version == version:
		h.Current = prev // a rollback: one step back
	default:
		if len(h.Entries) > 0 {
			h.Entries = h.Entries[:h.Current+1]
		}
		h.Entries = append(h.Entries, GoodEntry{Version: version, At: at})
		if over := len(h.Entries) - maxGoodHistory; over > 0 {
			h.Entries = h.Entries[over:]
		}
		h.Current = len(h.Entries) - 1
	}
	h.Version = h.Entries[h.Current].Version
	return h
}

// PreviousGood returns the release a rollback from current should go to:
// the newest release proven good before current, skipping releases that no
// longer exist. If current was never proven good (a failed or halted
// deploy), that is the known-good release itself. It never returns current,
// so a rollback is never a no-op; with nothing to go back to it returns an
// error wrapping ErrNoGoodRelease.
func (s *Store) PreviousGood(current string) (string, error) {
	h, err := s.GoodHistory()
	if err != nil {
		return "", err
	}
	i := s.previousIndex(h, current)
	if i < 0 {
		if q := quarantinedAs(filepath.Join(s.dir, knownGoodFile)); len(q) > 0 {
			return "", &LostGoodError{Service: s.name, Current: current, Quarantined: q[len(q)-1]}
		}
		return "", fmt.Errorf("roll back from %s: %w", current, ErrNoGoodRelease)
	}
	return h.Entries[i].Version, nil
}

// previousIndex finds the entry PreviousGood returns, or -1.
func (s *Store) previousIndex(h GoodHistory, current string) int {
	if len(h.Entries) == 0 {
		return -1
	}
	start := h.Current
	for i := h.Current; i >= 0; i-- {
		if h.Entries[i].Version == current {
			start = i - 1
			break
		}
	}
	for i := start; i >= 0; i-- {
		v := h.Entries[i].Version
		if v == current {
			continue
		}
		if _, err := s.Get(v); err == nil {
			return i
		}
	}
	return -1
}

// LostGoodError is PreviousGood's answer when nothing before current is
// known good and the known-good file was quarantined: an earlier release
// may well have been proven good, but sysroll can no longer tell which, and
// it never guesses. It deliberately does not match ErrNoGoodRelease, whose
// message would hide the file.
type LostGoodError struct {
	Service, Current, Quarantined string
}

func (e *LostGoodError) Error() string {
	return fmt.Sprintf("no release proven good before %s is known: the known-good history was corrupt and was moved aside to %s, "+
		"and the rollout records prove no earlier release good; name the release to go back to: "+
		"`sysroll rollback %s --to VERSION` (see `sysroll history %s`), then remove the quarantined file once it is understood",
		e.Current, e.Quarantined, e.Service, e.Service)
}
