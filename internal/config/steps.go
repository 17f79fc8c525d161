package config

import (
	"time"

	"github.com/goccy/go-yaml/ast"
)

// RolloutStep is one entry of rollout.steps: a batch (a count or a
// percentage, as in ramp) or a timed pause. Exactly one of the two is set.
type RolloutStep struct {
	// Batch is the entry's batch size; zero for a pause.
	Batch Step
	// Pause is how long the rollout waits after the batch before, watching
	// the instances already updated: a restart or a failed probe of any of
	// them fails that batch. Zero for a batch.
	Pause time.Duration
}

// IsPause reports whether the entry is a pause.
func (s RolloutStep) IsPause() bool { return s.Pause != 0 }

// gateLater is the refusal of what belongs to approval gates, which come
// with `sysroll promote` in a later version: refused rather than ignored,
// so no one believes a rollout waits for them.
const gateLater = "approval gates (pause: {}), pause_expiry and on_pause_expiry come with `sysroll promote` in a later version; for now use a timed pause such as pause: 15m"

// UnmarshalYAML implements yaml.NodeUnmarshaler: {batch: 2}, {batch: "25%"}
// or {pause: 15m}.
func (s *RolloutStep) UnmarshalYAML(node ast.Node) error {
	*s = RolloutStep{}
	m, ok := unwrap(node).(*ast.MappingNode)
	if !ok || len(m.Values) != 1 {
		return errAt(node, "expected one of batch: N, batch: \"N%%\" or pause: DURATION, got %s", describe(node))
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
		if _, isMap := v.(*ast.MappingNode); isMap {
			return errAt(kv.Value, "%s", gateLater)
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

// gateOnly is the type of the keys that belong to approval gates: any value
// is refused, at its position, with gateLater.
type gateOnly struct{}

// UnmarshalYAML implements yaml.NodeUnmarshaler.
func (*gateOnly) UnmarshalYAML(node ast.Node) error { return errAt(node, "%s", gateLater) }

// validateSteps checks rollout.steps: no batch or ramp beside it, a batch
// first and last, no two pauses in a row, sizes and pause lengths in range.
func (s *Service) validateSteps(e *errs) {
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
