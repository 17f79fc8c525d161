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

// RequestAction is what a command asks of a rollout whose process it
// cannot reach but through the disk: the process holds the lock, the
// command cannot take it, so it leaves a request the engine reads at its
// next check (each batch boundary and health interval of a timed pause).
type RequestAction string

// The request actions.
const (
	RequestPause   RequestAction = "pause"   // stop after the batch in flight, recorded paused
	RequestAbort   RequestAction = "abort"   // revert every instance the rollout touched
	RequestPromote RequestAction = "promote" // pass the timed pause under way now
)

// Request is rollouts/ID.request.
type Request struct {
	Action RequestAction `json:"action"`
	// Pause is the index into Record.Pauses a promote passes: the one the
	// requester saw, so a promote never passes a pause it did not see.
	Pause  int       `json:"pause,omitempty"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
}

const requestSuffix = ".request"

func (s *Store) requestPath(id string) string {
	return filepath.Join(s.dir, rolloutsDir, id+requestSuffix)
}

// WriteRequest leaves req for rollout id's process, replacing any request
// not yet taken: the last word counts.
func (s *Store) WriteRequest(id string, req Request) error {
	if err := validName("rollout id", id); err != nil {
		return err
	}
	data, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if err := WriteFileAtomic(s.requestPath(id), append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("write the request for rollout %s: %w", id, err)
	}
	return nil
}

// PendingRequest returns the request left for rollout id, or nil. One that
// does not parse is removed and reported: a request is only ever written
// whole (WriteFileAtomic), so it is damage, and acting on a guess would be
// worse than asking again.
func (s *Store) PendingRequest(id string) (*Request, error) {
	data, err := os.ReadFile(s.requestPath(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the request for rollout %s: %w", id, err)
	}
	var req Request
	if err := json.Unmarshal(data, &req); err != nil || (req.Action != RequestPause && req.Action != RequestAbort && req.Action != RequestPromote) {
		_ = os.Remove(s.requestPath(id))
		return nil, fmt.Errorf("the request for rollout %s is damaged and was removed: ask again", id)
	}
	return &req, nil
}

// ClearRequest removes rollout id's request, once taken.
func (s *Store) ClearRequest(id string) error {
	if err := os.Remove(s.requestPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove the request for rollout %s: %w", id, err)
	}
	return nil
}
