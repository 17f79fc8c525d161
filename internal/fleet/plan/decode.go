package plan

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Field is where the host strategy sits in a service file; errors name
// settings under it ("fleet.hosts.max_parallel").
const Field = "fleet.hosts"

// MaxStrategyBytes bounds what ParseStrategy reads: a host strategy is a
// dozen lines, and go-yaml's parser takes memory in the square of the
// nesting depth, so nothing much larger is parsed at all.
const MaxStrategyBytes = 16 << 10

// maxDecodeErrors bounds the errors one decode reports.
const maxDecodeErrors = 50

// strategyKeys are the keys of the fleet.hosts mapping, in doc order.
var strategyKeys = []string{"batch", "ramp", "max_parallel", "max_per_label", "order_by",
	"failure_budget", "failure_action", "min_available", "reattach_deadline", "lease"}

// StrategyKeys are the keys of the fleet.hosts mapping, in doc order (for
// config's JSON Schema test).
func StrategyKeys() []string { return append([]string(nil), strategyKeys...) }

// DecodeStrategy decodes the value node of fleet.hosts in a service file
// named file, and validates it. Every problem is reported at once, as
// errors.Join of *FieldError with file:line:column and the field
// ("fleet.hosts.ramp[1]"), rendered as the service file's own errors are.
// A nil or null node is the default strategy.
//
// internal/config wires it in (config/fleet.go; config imports this
// package, this package never imports config): config's FleetHosts keeps
// the node of fleet.hosts, and config's decode calls DecodeStrategy on it
// and adds the errors, which are config.FieldError already (yamlpos.Error),
// to the file's.
func DecodeStrategy(file string, node ast.Node) (Strategy, error) {
	d := &decoder{file: file}
	s := d.strategy(node)
	// A value that failed to decode is left zero, which Validate accepts,
	// so the cross-field rules are checked as well and every problem is
	// reported at once.
	if err := s.Validate(); err != nil {
		d.positioned(node, err)
	}
	if len(d.errs) > 0 {
		return Strategy{}, d.join()
	}
	return s, nil
}

// ParseStrategy decodes a host strategy written on its own (the mapping
// that fleet.hosts holds), for a separate file or a test.
func ParseStrategy(file string, data []byte) (Strategy, error) {
	if len(data) > MaxStrategyBytes {
		return Strategy{}, &FieldError{File: file, Field: Field,
			Msg: fmt.Sprintf("%d bytes, more than the %d a host strategy may have", len(data), MaxStrategyBytes)}
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		fe := &FieldError{File: file, Field: Field, Msg: "not YAML: " + clip(err.Error())}
		var ye yaml.Error
		if errors.As(err, &ye) && ye.GetToken() != nil {
			fe.Line, fe.Column = ye.GetToken().Position.Line, ye.GetToken().Position.Column
			fe.Msg = "not YAML: " + clip(ye.GetMessage())
		}
		return Strategy{}, fe
	}
	switch len(f.Docs) {
	case 0:
		return DecodeStrategy(file, nil)
	case 1:
		return DecodeStrategy(file, f.Docs[0].Body)
	}
	return Strategy{}, &FieldError{File: file, Field: Field, Msg: fmt.Sprintf("one host strategy per file: found %d YAML documents", len(f.Docs))}
}

type decoder struct {
	file string
	errs []error
}

func (d *decoder) add(n ast.Node, field, format string, args ...any) {
	fe := &FieldError{File: d.file, Field: Field, Msg: fmt.Sprintf(format, args...)}
	if field != "" {
		fe.Field += "." + field
	}
	if n != nil && n.GetToken() != nil {
		fe.Line, fe.Column = n.GetToken().Position.Line, n.GetToken().Position.Column
	}
	d.errs = append(d.errs, fe)
}

func (d *decoder) join() error {
	if len(d.errs) > maxDecodeErrors {
		more := len(d.errs) - maxDecodeErrors
		d.errs = append(d.errs[:maxDecodeErrors:maxDecodeErrors], fmt.Errorf("... and %d more errors", more))
	}
	return errors.Join(d.errs...)
}

// positioned turns Validate's "field: msg" errors into FieldErrors at the
// node of that field, so a cross-field rule points into the file too.
func (d *decoder) positioned(root ast.Node, err error) {
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	reported := map[string]bool{}
	for _, e := range d.errs {
		var fe *FieldError
		if errors.As(e, &fe) {
			reported[fe.Field] = true
		}
	}
	for _, e := range list {
		field, msg, _ := strings.Cut(e.Error(), ": ")
		if reported[Field+"."+field] {
			continue // the decode error already says it (a bad value left zero)
		}
		d.add(lookup(root, field), field, "%s", msg)
	}
}

// lookup finds the node of field ("ramp[1]", "max_per_label.zone") under
// root, or the deepest node on the way.
func lookup(root ast.Node, field string) ast.Node {
	cur := root
	name, idx, _ := strings.Cut(field, "[")
	parts := strings.Split(name, ".")
	for _, p := range parts {
		m, ok := unwrap(cur).(*ast.MappingNode)
		if !ok {
			return cur
		}
		var next ast.Node
		for _, kv := range m.Values {
			if k, _ := scalar(kv.Key); k == p {
				next = kv.Value
			}
		}
		if next == nil {
			return cur
		}
		cur = next
	}
	if i, err := strconv.Atoi(strings.TrimSuffix(idx, "]")); err == nil {
		if seq, ok := unwrap(cur).(*ast.SequenceNode); ok && i >= 0 && i < len(seq.Values) {
			return seq.Values[i]
		}
	}
	return cur
}

func (d *decoder) strategy(node ast.Node) Strategy {
	var s Strategy
	if node == nil || isNull(node) {
		return s
	}
	if _, ok := node.(*ast.AliasNode); ok {
		d.add(node, "", "YAML aliases (*name) are not supported: write the value out")
		return s
	}
	m, ok := unwrap(node).(*ast.MappingNode)
	if !ok {
		d.add(node, "", "expected a mapping (ramp: [1, \"25%%\"], max_parallel: 2, ...), got %s", describe(node))
		return s
	}
	seen := map[string]bool{}
	for _, kv := range m.Values {
		k, ok := scalar(kv.Key)
		switch {
		case kv.Key.IsMergeKey():
			d.add(kv.Key, "", "YAML merge keys (<<) are not supported: write the keys out")
			continue
		case !ok:
			d.add(kv.Key, "", "keys must be plain names, got %s", describe(kv.Key))
			continue
		case seen[k]:
			d.add(kv.Key, k, "set twice")
			continue
		}
		seen[k] = true
		v := kv.Value
		if _, ok := v.(*ast.AliasNode); ok {
			d.add(v, k, "YAML aliases (*name) are not supported: write the value out")
			continue
		}
		if isNull(v) {
			continue // the default
		}
		switch k {
		case "batch":
			s.Batch = d.step(v, k, "hosts")
		case "ramp":
			seq, ok := unwrap(v).(*ast.SequenceNode)
			if !ok {
				d.add(v, k, "expected a list of counts or percentages ([1, \"25%%\", \"100%%\"]), got %s", describe(v))
				continue
			}
			if len(seq.Values) == 0 {
				d.add(v, k, "empty: leave ramp out, or list the batch sizes")
			}
			for i, item := range seq.Values {
				s.Ramp = append(s.Ramp, d.step(item, fmt.Sprintf("%s[%d]", k, i), "hosts"))
			}
		case "max_parallel":
			s.MaxParallel = d.int(v, k, 1, MaxHosts)
		case "failure_budget":
			s.FailureBudget = d.int(v, k, 0, MaxHosts)
		case "max_per_label":
			s.MaxPerLabel = d.labelLimits(v, k)
		case "order_by":
			s.OrderBy = d.labelList(v, k)
		case "failure_action":
			if text, ok := str(v); ok {
				s.FailureAction = FailureAction(text)
			} else {
				d.add(v, k, "expected %s, %s or %s, got %s", ActionRollback, ActionRollbackAll, ActionHalt, describe(v))
			}
		case "min_available":
			s.MinAvailable = d.step(v, k, "instances")
		case "reattach_deadline":
			s.ReattachDeadline = d.duration(v, k)
		case "lease":
			s.Lease = d.duration(v, k)
		default:
			d.add(kv.Key, "", "unknown key %q in %s%s", clip(k), Field, suggest(k))
		}
	}
	return s
}

// step reads a count (2) or a percentage ("25%") of what.
func (d *decoder) step(n ast.Node, field, what string) Size {
	text, ok := scalar(n)
	switch unwrap(n).(type) {
	case *ast.IntegerNode, *ast.StringNode:
	default:
		ok = false
	}
	if !ok {
		d.add(n, field, "expected a count of %s (2) or a percentage (\"25%%\"), got %s", what, describe(n))
		return Size{}
	}
	text = strings.TrimSpace(text)
	if p, found := strings.CutSuffix(text, "%"); found {
		v, err := strconv.Atoi(p)
		if err != nil || v < 1 || v > 100 {
			d.add(n, field, "percentage %s must be a whole number between 1%% and 100%%", clip(text))
			return Size{}
		}
		return Size{Percent: v}
	}
	limit := MaxHosts
	if what == "instances" {
		limit = MaxHosts * MaxInstancesPerHost
	}
	v, err := strconv.Atoi(text)
	if err != nil || v < 1 || v > limit {
		d.add(n, field, "%s must be a count of %s between 1 and %d, or a percentage (\"25%%\")", clip(text), what, limit)
		return Size{}
	}
	return Size{N: v}
}

func (d *decoder) int(n ast.Node, field string, lo, hi int) int {
	_, ok := unwrap(n).(*ast.IntegerNode)
	text, _ := scalar(n)
	i, err := strconv.Atoi(text)
	if !ok || err != nil {
		d.add(n, field, "expected a whole number between %d and %d, got %s", lo, hi, describe(n))
		return 0
	}
	if i < lo || i > hi {
		d.add(n, field, "%d must be between %d and %d", i, lo, hi)
		return 0
	}
	return i
}

func (d *decoder) duration(n ast.Node, field string) time.Duration {
	text, ok := str(n)
	if !ok {
		d.add(n, field, "expected a duration with a unit, like \"10m\", got %s", describe(n))
		return 0
	}
	v, err := time.ParseDuration(text)
	if err != nil || v <= 0 {
		d.add(n, field, "%s is not a positive duration: use a number with a unit, like \"10m\" or \"90s\"", clip(text))
		return 0
	}
	return v
}

func (d *decoder) labelLimits(n ast.Node, field string) map[string]int {
	m, ok := unwrap(n).(*ast.MappingNode)
	if !ok {
		d.add(n, field, "expected a mapping of label to host count ({zone: 1}), got %s", describe(n))
		return nil
	}
	out := map[string]int{}
	for _, kv := range m.Values {
		k, ok := scalar(kv.Key)
		if !ok || kv.Key.IsMergeKey() {
			d.add(kv.Key, field, "keys must be label names")
			continue
		}
		if _, dup := out[k]; dup {
			d.add(kv.Key, field+"."+k, "set twice")
			continue
		}
		out[k] = d.int(kv.Value, field+"."+k, 1, MaxHosts)
	}
	return out
}

func (d *decoder) labelList(n ast.Node, field string) []string {
	if text, ok := str(n); ok {
		return []string{text} // order_by: zone
	}
	seq, ok := unwrap(n).(*ast.SequenceNode)
	if !ok {
		d.add(n, field, "expected a label or a list of labels ([zone, rack]), got %s", describe(n))
		return nil
	}
	var out []string
	for i, item := range seq.Values {
		text, ok := str(item)
		if !ok {
			d.add(item, fmt.Sprintf("%s[%d]", field, i), "expected a label name, got %s", describe(item))
			continue
		}
		out = append(out, text)
	}
	return out
}
