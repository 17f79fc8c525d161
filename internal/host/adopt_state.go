package host

import (
	"encoding/json"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/sysroll/sysroll/internal/release"
)

// adoptPhase is how far one instance's cutover got.
type adoptPhase string

const (
	// phasePending: the old unit serves (not started, or put back).
	phasePending adoptPhase = "pending"
	// phaseStopped: the old unit is being stopped or is stopped; its file
	// may be in the backup dir. An adopt killed here is continued by
	// putting the old unit back and redoing the instance.
	phaseStopped adoptPhase = "stopped"
	// phaseDone: NAME@PORT serves, gated.
	phaseDone adoptPhase = "done"
)

// adoptState is adopted/adopt.json: the cutover's progress, so a second
// adopt after a kill continues where the first stopped.
type adoptState struct {
	Service   string                   `json:"service"`
	Release   string                   `json:"release"`
	Instances map[string]adoptInstance `json:"instances"`
	Finished  bool                     `json:"finished"`
}

type adoptInstance struct {
	Phase adoptPhase `json:"phase"`
	// Enabled: the old unit was enabled, so putting it back enables it.
	Enabled bool `json:"enabled"`
}

const adoptStateFile = "adopt.json"

func readAdoptState(stateDir string) (*adoptState, error) {
	var st adoptState
	err := release.ReadStateFile("adopt progress", filepath.Join(stateDir, adoptDir, adoptStateFile), 1<<20, &st)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if st.Finished {
		return nil, nil // a finished adopt is history; the service is installed
	}
	return &st, nil
}

func (st *adoptState) save(stateDir string) error {
	dir := filepath.Join(stateDir, adoptDir)
	if err := release.SecureDir(dir); err != nil {
		return err
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return release.WriteFileAtomic(filepath.Join(dir, adoptStateFile), append(b, '\n'), 0o644)
}

func (st *adoptState) phase(inst string) adoptPhase {
	if p := st.Instances[inst].Phase; p != "" {
		return p
	}
	return phasePending
}

func (st *adoptState) set(inst string, p adoptPhase, enabled bool) {
	if st.Instances == nil {
		st.Instances = map[string]adoptInstance{}
	}
	st.Instances[inst] = adoptInstance{Phase: p, Enabled: enabled}
}

// done lists the instances already on sysroll, by port.
func (st *adoptState) done() []string {
	var out []string
	for inst, in := range st.Instances {
		if in.Phase == phaseDone {
			out = append(out, inst)
		}
	}
	slices.SortFunc(out, func(a, b string) int { x, _ := strconv.Atoi(a); y, _ := strconv.Atoi(b); return x - y })
	return out
}
