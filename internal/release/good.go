package release

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
}

// GoodEntry is one release proven good.
type GoodEntry struct {
	Version string    `json:"version"`
	At      time.Time `json:"at"` // when it was marked good
}

// GoodHistory reads the known-good history (empty if nothing was ever
// marked good).
func (s *Store) GoodHistory() (GoodHistory, error) {
	var h GoodHistory
	data, err := os.ReadFile(filepath.Join(s.dir, knownGoodFile))
	if errors.Is(err, fs.ErrNotExist) {
		return h, nil
	}
	if err == nil {
		err = json.Unmarshal(data, &h)
	}
	if err == nil && len(h.Entries) > 0 && (h.Current < 0 || h.Current >= len(h.Entries)) {
		err = fmt.Errorf("current entry %d out of range", h.Current)
	}
	if err != nil {
		return GoodHistory{}, fmt.Errorf("read %s: %w", knownGoodFile, err)
	}
	return h, nil
}

// KnownGood returns the last release proven good, or "" if none.
func (s *Store) KnownGood() (string, error) {
	h, err := s.GoodHistory()
	return h.Version, err
}

// MarkGood records that the service was proven good on version, after a
// rollout (deploy or rollback) succeeded on every instance.
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
	prev := s.previousIndex(h, h.Version)
	switch {
	case h.Version == version:
		return nil // e.g. a restart: nothing changed
	case prev >= 0 && h.Entries[prev].Version == version:
		h.Current = prev // a rollback: one step back
	default:
		if len(h.Entries) > 0 {
			h.Entries = h.Entries[:h.Current+1]
		}
		h.Entries = append(h.Entries, GoodEntry{Version: version, At: time.Now().UTC()})
		if over := len(h.Entries) - maxGoodHistory; over > 0 {
			h.Entries = h.Entries[over:]
		}
		h.Current = len(h.Entries) - 1
	}
	h.Version = h.Entries[h.Current].Version
	data, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return fmt.Errorf("mark %s good: %w", version, err)
	}
	return WriteFileAtomic(filepath.Join(s.dir, knownGoodFile), append(data, '\n'), 0o600)
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
