package config

import (
	"time"

	"github.com/goccy/go-yaml/ast"
)

// RolloutStep is one entry of rollout.steps: a batch (a count or a
// percentage, as in ramp), a timed pause, or an approval gate. Exactly one
// of the three is set.
type RolloutStep struct {
	// Batch is the entry's batch size; zero for a pause.
	Batch Step
	// Pause is how long the rollout waits after the batch before, watching
	// the instances already updated: a restart or a failed probe of any of
	// them fails that batch. Zero for a batch or a gate.
	Pause time.Duration
	// Gate is an approval gate (pause: {}): the rollout stops after the
	// batch before, records itself paused and exits, until `sysroll
	// promote` passes it (or rollout.pause_expiry runs on_pause_expiry).
	Gate bool
}

// IsPause reports whether the entry is a pause: timed, or a gate.
func (s RolloutStep) IsPause() bool { return s.Pause != 0 || s.Gate }

// UnmarshalYAML implements yaml.NodeUnmarshaler: {batch: 2}, {batch: "25%"},
// {pause: 15m} or {pause: {}}.
func (s *RolloutStep) UnmarshalYAML(node ast.Node) error {
	*s = RolloutStep{}
	m, ok := unwrap(node).(*ast.MappingNode)
	if !ok || len(m.Values) != 1 {
		return errAt(node, "expected one of batch: N, batch: \"N%%\", pause: DURATION or pause: {} (an approval gate), got %s", describe(node))
	}
	kv := m.Values[0]
	k, _ := scalarText(kv.Key)
	switch k {
	case "batch":
		if err := decodeStep(kv.Value, &s.Batch); err != nil {
			return err
		}
	case "pause":
		v := unwrap(kv.Value)
		if mm, isMap := v.(*ast.MappingNode); isMap {
			if len(mm.Values) > 0 {
				return errAt(kv.Value, "pause: {} is an approval gate and takes no keys: its expiry is rollout.pause_expiry and rollout.on_pause_expiry")
			}
			s.Gate = true
			return nil
		}
		text, ok := v.(*ast.StringNode)
		if !ok {
			return errAt(kv.Value, "pause: expected a duration with a unit, like \"15m\" or \"30s\", got %s", describe(kv.Value))
		}
		d, err := time.ParseDuration(text.Value)
		if err != nil {
			return errAt(kv.Value, "pause: %s is not a duration: use a number with a unit, like \"15m\" or \"30s\"", short(text.Value))
		}
		if d == 0 {
			return errAt(kv.Value, "pause: 0s waits for nothing: leave the entry out, or use at least %s", human(MinPause))
		}
		s.Pause = d
	default:
		return errAt(kv.Key, "unknown step %q: a step is batch: N, batch: \"N%%\" or pause: DURATION%s", k, suggest(k, []string{"batch", "pause"}))
	}
	return nil
}

// validateSteps checks rollout.steps: no batch or ramp beside it, a batch
// first and last, no two pauses in a row, sizes and pause lengths in range.
func (s *Service) validateSteps(e *errs) {
	s.validateExpiry(e)
	r := s.Rollout
	if r.Steps == nil {
		return
	}
	if len(r.Steps) == 0 {
		e.add(at("rollout", "steps"), "is empty: list at least one batch, or leave steps out")
		return
	}
	for _, other := range []string{"batch", "ramp"} {
		if e.src != nil && present(e.src.root, "rollout", other) {
			e.add(at("rollout", other), "set steps or %s, not both: steps replaces batch and ramp (a batch entry of steps is the same size)", other)
		}
	}
	for i, st := range r.Steps {
		if !st.IsPause() {
			checkStep(e, at("rollout", "steps", i, "batch"), st.Batch)
			continue
		}
		pp := at("rollout", "steps", i, "pause")
		switch {
		case st.Gate:
		case st.Pause < 0:
			e.add(pp, "%v must not be negative", st.Pause)
		case st.Pause < MinPause:
			e.add(pp, "%s is too short: use at least %s", human(st.Pause), human(MinPause))
		case st.Pause > MaxPause:
			e.add(pp, "%s is too long: at most %s", human(st.Pause), human(MaxPause))
		}
		switch {
		case i == 0:
			e.add(pp, "a pause must follow a batch: the first step is the canary batch")
		case i == len(r.Steps)-1:
			e.add(pp, "a pause must be followed by a batch: nothing would come after it")
		case r.Steps[i-1].IsPause():
			e.add(pp, "two pauses in a row: merge them into one")
		}
	}
}

// validateExpiry checks pause_expiry and on_pause_expiry.
func (s *Service) validateExpiry(e *errs) {
	r := s.Rollout
	if r.PauseExpiry != nil {
		checkDuration(e, "rollout.pause_expiry", *r.PauseExpiry)
	}
	if r.OnPauseExpiry != "" {
		if why := oneOf(string(r.OnPauseExpiry), string(ExpiryRollback), string(ExpiryKeep)); why != "" {
			e.add(at("rollout", "on_pause_expiry"), "%s", why)
		}
	}
	if (r.PauseExpiry != nil || r.OnPauseExpiry != "") && !s.HasGates() {
		key := "pause_expiry"
		if r.PauseExpiry == nil {
			key = "on_pause_expiry"
		}
		e.add(at("rollout", key), "applies to approval gates, and rollout.steps has none (add a pause: {} step, or leave %s out)", key)
	}
}

// HasGates reports whether rollout.steps has an approval gate.
func (s *Service) HasGates() bool {
	for _, st := range s.Rollout.Steps {
		if st.Gate {
			return true
		}
	}
	return false
}

// ExpiryAction is what a rollout does when an approval gate expires.
type ExpiryAction string

// The expiry actions.
const (
	ExpiryRollback ExpiryAction = "rollback" // every instance the rollout touched goes back, gated
	ExpiryKeep     ExpiryAction = "keep"     // the rollout ends halted, the instances stay as they are
)

// DefaultPauseExpiry is how long an approval gate waits before its expiry
// action runs: a forgotten gate is not forever.
const DefaultPauseExpiry = 24 * time.Hour

// Expiry is the pause_expiry and on_pause_expiry in effect.
func (r Rollout) Expiry() (time.Duration, ExpiryAction) {
	d, a := DefaultPauseExpiry, ExpiryRollback
	if r.PauseExpiry != nil {
		d = *r.PauseExpiry
	}
	if r.OnPauseExpiry != "" {
		a = r.OnPauseExpiry
	}
	return d, a
}

// present reports whether the file sets the key at path (mapping keys).
func present(root ast.Node, path ...string) bool {
	cur := root
	for _, p := range path {
		if cur = step(unwrap(cur), p); cur == nil {
			return false
		}
	}
	return true
}
