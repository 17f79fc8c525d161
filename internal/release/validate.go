package release

import (
	"errors"
	"fmt"
	"slices"
)

// Known values, for Validate.
var (
	knownKinds   = []Kind{KindDeploy, KindRestart, KindRollback}
	knownResults = []Result{ResultRunning, ResultSucceeded, ResultRolledBack, ResultHalted, ResultFailed, ResultInterrupted, ResultPaused}
	knownPhases  = []Phase{PhasePending, PhaseDrain, PhaseSwitch, PhaseRestart, PhaseGate, PhaseUndrain, PhaseDone, PhaseFailed, PhaseRevert, PhaseReverted}
)

// Validate checks what the engine relies on when it takes a record up
// again (resume, rollback, history): every field that indexes, names a
// file or selects a branch holds a value the engine can act on. It returns
// every problem, each naming its field and the rule.
//
//   - id is a valid name (see validName); kind, result and every phase are
//     known values; pid is not negative;
//   - from, to and every instance's from/to are empty or valid release names;
//   - instance names are valid and unique, batches list only instances of
//     the record, each at most once, and every instance's batch is -1 (in
//     no batch) or the index of the batch that lists it.
func (r *Record) Validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("field %s: %s", field, fmt.Sprintf(format, args...)))
	}
	if err := validName("rollout id", r.ID); err != nil {
		add("id", "%v", err)
	}
	if !slices.Contains(knownKinds, r.Kind) {
		add("kind", "%q is not one of %v", r.Kind, knownKinds)
	}
	if !slices.Contains(knownResults, r.Result) {
		add("result", "%q is not one of %v", r.Result, knownResults)
	}
	if r.PID < 0 {
		add("pid", "%d is negative", r.PID)
	}
	release := func(field, v string) {
		if v != "" {
			if err := validName("version", v); err != nil {
				add(field, "%v", err)
			}
		}
	}
	release("from", r.From)
	release("to", r.To)
	index := make(map[string]int, len(r.Instances))
	for i, in := range r.Instances {
		at := fmt.Sprintf("instances[%d]", i)
		if err := validName("instance", in.Name); err != nil {
			add(at+".name", "%v", err)
		} else if j, dup := index[in.Name]; dup {
			add(at+".name", "instance %q is also instances[%d]", in.Name, j)
		} else {
			index[in.Name] = i
		}
		release(at+".from", in.From)
		release(at+".to", in.To)
		if !slices.Contains(knownPhases, in.Phase) {
			add(at+".phase", "%q is not one of %v", in.Phase, knownPhases)
		}
		if in.Batch < -1 || in.Batch >= len(r.Batches) {
			add(at+".batch", "%d is out of range: the record plans %d batches (0-%d, or -1 for none)", in.Batch, len(r.Batches), len(r.Batches)-1)
		}
	}
	listed := map[string]string{}
	for b, batch := range r.Batches {
		for k, name := range batch {
			at := fmt.Sprintf("batches[%d][%d]", b, k)
			i, ok := index[name]
			switch {
			case !ok:
				add(at, "%q is not an instance of the record", name)
			case listed[name] != "":
				add(at, "instance %q is also %s", name, listed[name])
			case r.Instances[i].Batch != b:
				add(at, "instance %q is in batch %d, but instances[%d].batch says %d", name, b, i, r.Instances[i].Batch)
			}
			if listed[name] == "" {
				listed[name] = at
			}
		}
	}
	for i, in := range r.Instances {
		if in.Batch >= 0 && in.Batch < len(r.Batches) && listed[in.Name] == "" {
			add(fmt.Sprintf("instances[%d].batch", i), "instance %q says batch %d, which does not list it", in.Name, in.Batch)
		}
	}
	return errors.Join(errs...)
}

// DecodeRecord decodes a rollout record and validates it: it returns a
// record that passed Validate, or an error saying what is wrong (a byte
// offset for bad JSON, a field for a bad value). It never panics.
func DecodeRecord(data []byte) (*Record, error) {
	var r Record
	if err := decodeState("", "", data, &r); err != nil {
		return nil, err.(*CorruptError).Err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}
