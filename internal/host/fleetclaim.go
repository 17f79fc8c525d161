package host

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sysroll/sysroll/internal/fleet/journal"
)

// fleetDir is where the fleet's claims of service live on this host (the
// controller writes them: controller.FleetDir).
func (h *Host) fleetDir(service string) (string, error) {
	root, err := h.stateRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, service, "fleet"), nil
}

// refuseFleetClaimed refuses a rollout verb run on the host by hand while
// a fleet rollout of the service is unfinished here: the fleet's plan
// counts on this host being where its claim says, and a local deploy
// would move it behind the controller's back (fleet.md, "Fleet journal,
// claims, resume"). own are the fleet rollouts this verb acts for, which
// may go on: --fleet ID (the fleet's own host steps), or the fleet
// rollout of the record a `deploy --resume` completes (the step the
// fleet's --resume starts there). A claim that cannot be read refuses
// too: an unreadable lock is not a free one.
func (h *Host) refuseFleetClaimed(service, verb string, own ...string) error {
	dir, err := h.fleetDir(service)
	if err != nil {
		return err
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return fmt.Errorf("fleet claims in %s: %w", dir, err)
	}
	slices.Sort(names)
	var held []string
	for _, n := range names {
		data, err := os.ReadFile(n)
		if errors.Is(err, fs.ErrNotExist) {
			continue // replaced or pruned meanwhile
		}
		if err != nil {
			return fmt.Errorf("%s of %s refused: the fleet claim %s cannot be read (%w): a fleet rollout may hold the service; inspect it", verb, service, n, err)
		}
		c, err := journal.DecodeClaim(n, data)
		if err != nil {
			return fmt.Errorf("%s of %s refused: %w: a fleet rollout may hold the service; inspect the claim (a finished fleet rollout's claim may be removed)", verb, service, err)
		}
		if c.Finished || (c.FleetID != "" && slices.Contains(own, c.FleetID)) {
			continue
		}
		held = append(held, fmt.Sprintf("%s (started by %s, driven by %s)", c.FleetID, c.Controller, c.Owner()))
	}
	if len(held) == 0 {
		return nil
	}
	return fmt.Errorf("%s of %s refused: fleet rollout %s holds this host and has not finished; a local rollout would move the host behind its controller's back. "+
		"Finish it from a controller: `sysroll fleet deploy FILE --resume` (FILE: the fleet's service file), then run %s here again",
		verb, service, strings.Join(held, " and "), verb)
}
