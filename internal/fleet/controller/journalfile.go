package controller

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sysroll/sysroll/internal/release"
)

// JournalPath is where the fleet journal of service's rollout id lives on
// the controller: under stateDir when given, else
// $XDG_STATE_HOME/sysroll/fleet (~/.local/state/sysroll/fleet).
func JournalPath(stateDir, service, id string) (string, error) {
	if stateDir == "" {
		base := os.Getenv("XDG_STATE_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("fleet journal: no state directory (set XDG_STATE_HOME or --state-dir): %w", err)
			}
			base = filepath.Join(home, ".local", "state")
		}
		stateDir = filepath.Join(base, "sysroll")
	}
	return filepath.Join(stateDir, "fleet", service, id+".json"), nil
}

// writeJournal replaces the journal atomically (release.WriteFileAtomic),
// its directory made 0700: a journal names hosts and users.
func writeJournal(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("fleet journal: %w", err)
	}
	if err := release.WriteFileAtomic(path, data, 0o600); err != nil {
		return fmt.Errorf("fleet journal %s: %w", path, err)
	}
	return nil
}
