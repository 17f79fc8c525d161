package host

import (
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
)

// stampJournal records, in every record it saves, the fleet rollout the
// rollout is part of and the boot it started in. Both are set only where
// empty: a resumed rollout keeps the fleet and the boot ID it started
// with, so the record shows it outlived a reboot.
type stampJournal struct {
	j     rollout.Journal
	fleet string
	boot  string
}

func (j stampJournal) SaveRecord(r *release.Record) error {
	if r.FleetID == "" {
		r.FleetID = j.fleet
	}
	if r.BootID == "" {
		r.BootID = j.boot
	}
	return j.j.SaveRecord(r)
}

// bootID is the boot ID recorded in rollouts: Host.BootID when set (tests),
// else the kernel's; "" when it cannot be read (a record without one is
// still a record).
func (h *Host) bootID() string {
	if h.BootID != "" {
		return h.BootID
	}
	id, _ := ReadBootID(BootIDFile)
	return id
}
