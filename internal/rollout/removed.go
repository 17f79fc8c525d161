package rollout

import (
	"slices"
	"strings"
)

// Instances removed from the service. apply may remove an instance while a
// rollout is unfinished (it stops it and forgets its link). The record
// stays the whole truth of the rollout: the instance keeps its entry, with
// the phase it had reached, marked Removed, and from then on the resume or
// rollback leaves it alone (no step, no revert, no preflight).

// markRemoved marks Removed every instance of the record that is not in
// spec.Instances, and returns those newly marked. The caller saves.
func (e *engine) markRemoved() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var names []string
	for i := range e.rec.Instances {
		in := &e.rec.Instances[i]
		if !in.Removed && !slices.Contains(e.spec.Instances, in.Name) {
			in.Removed = true
			names = append(names, in.Name)
		}
	}
	return names
}

// noteRemoved tells the operator about instances markRemoved marked.
func (e *engine) noteRemoved(names []string) {
	if len(names) == 0 {
		return
	}
	e.warn("", -1, "instance %s is no longer in the service (removed by apply since rollout %s stopped): left alone, its part kept in the record",
		strings.Join(names, ", "), e.snapshot().ID)
}

// removed reports whether the record marks name removed from the service.
func (e *engine) removed(name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	i, ok := e.idx[name]
	return ok && e.rec.Instances[i].Removed
}
