package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"

	"github.com/sysroll/sysroll/internal/strategy"
	"github.com/sysroll/sysroll/internal/yamlpos"
)

// Instances are written either as a list of names ([8081, 8082] or [a, b]) or as
// a mapping {count: 3, first_port: 8081} (names are the ports) or {count: 3}
// (names 1..3, not ports). Use Service.InstanceNames and Service.Port to read them.
type Instances struct {
	// List holds the names of the list form, as written.
	List []string
	// Count of instances in the mapping form.
	Count int
	// FirstPort, with Count, numbers the instances FirstPort, FirstPort+1, ...
	FirstPort int
}

// Step is a batch size: a count of instances or a percentage of them
// (strategy.Step, which the fleet's host strategy uses too).
type Step = strategy.Step

// nodeError is a decoding error at a YAML token; Parse adds the file name.
type nodeError struct {
	tok *token.Token
	msg string
}

func (e *nodeError) Error() string {
	if e.tok == nil {
		return e.msg
	}
	return fmt.Sprintf("%d:%d: %s", e.tok.Position.Line, e.tok.Position.Column, e.msg)
}

func errAt(n ast.Node, format string, args ...any) *nodeError {
	return &nodeError{tok: n.GetToken(), msg: fmt.Sprintf(format, args...)}
}

// unwrap strips anchors and tags, which carry no meaning for us.
func unwrap(n ast.Node) ast.Node { return yamlpos.Unwrap(n) }

// scalarText is the text of a scalar node and whether it is one.
func scalarText(n ast.Node) (string, bool) { return yamlpos.Text(n) }

// bigInteger is the text of a plain scalar that is an integer too large for
// go-yaml, which then reads it as a string.
func bigInteger(n ast.Node) (string, bool) {
	s, ok := unwrap(n).(*ast.StringNode)
	if !ok || s.GetToken() == nil || s.GetToken().Type != token.StringType || !integerRe.MatchString(s.Value) {
		return "", false
	}
	return s.Value, true
}

// describe names a node's kind the way a YAML user thinks of it.
func describe(n ast.Node) string { return yamlpos.Describe(n) }

// UnmarshalYAML implements yaml.NodeUnmarshaler.
func (in *Instances) UnmarshalYAML(node ast.Node) error {
	*in = Instances{}
	switch n := unwrap(node).(type) {
	case *ast.NullNode:
		return nil
	case *ast.SequenceNode:
		for _, item := range n.Values {
			switch v := unwrap(item).(type) {
			case *ast.IntegerNode:
				s, _ := scalarText(v)
				if !integerRe.MatchString(s) {
					return errAt(item, "write ports in decimal, not %s", s)
				}
				in.List = append(in.List, s)
			case *ast.StringNode:
				in.List = append(in.List, v.Value)
			default:
				return errAt(item, "instance names are ports (8081) or names (web-1), got %s", describe(item))
			}
		}
		return nil
	case *ast.MappingNode:
		for _, kv := range n.Values {
			key, _ := scalarText(kv.Key)
			var dst *int
			switch key {
			case "count":
				dst = &in.Count
			case "first_port":
				dst = &in.FirstPort
			default:
				return errAt(kv.Key, "unknown key %q%s", key, suggest(key, []string{"count", "first_port"}))
			}
			name := "instances." + key
			if text, ok := scalarText(kv.Value); ok && nonDecimal(text) {
				return errAt(kv.Value, "%s: "+nonDecimalMsg, key, clip(text))
			}
			if text, big := bigInteger(kv.Value); big {
				return errAt(kv.Value, "%s: %s is out of range: %s %s", key, clip(text), name, intRule(name))
			}
			v, ok := unwrap(kv.Value).(*ast.IntegerNode)
			if !ok {
				return errAt(kv.Value, "%s: expected an integer, got %s", key, describe(kv.Value))
			}
			i, err := strconv.Atoi(v.GetToken().Value)
			if err != nil || i < intLimits[name][0] || i > intLimits[name][1] {
				return errAt(kv.Value, "%s: %s is out of range: %s %s", key, clip(v.GetToken().Value), name, intRule(name))
			}
			*dst = i
		}
		if in.Count == 0 && len(n.Values) > 0 {
			return errAt(node, "count is required in the mapping form ({count: 3, first_port: 8081})")
		}
		return nil
	}
	return errAt(node, "expected a list ([8081, 8082]) or a mapping ({count: 2, first_port: 8081}), got %s", describe(node))
}

// decodeStep reads a Step (config's decoder calls it by type, as for
// durations: Step is strategy's and cannot carry an UnmarshalYAML here).
func decodeStep(node ast.Node, s *Step) error {
	*s = Step{}
	text, ok := scalarText(node)
	switch unwrap(node).(type) {
	case *ast.IntegerNode, *ast.StringNode:
	default:
		ok = false
	}
	if !ok {
		return errAt(node, "expected a count (2) or a percentage (\"25%%\"), got %s", describe(node))
	}
	text = strings.TrimSpace(text)
	if p, found := strings.CutSuffix(text, "%"); found {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 100 {
			return errAt(node, "percentage %s must be a whole number between 1%% and 100%%", short(text))
		}
		s.Percent = n
		return nil
	}
	n, err := strconv.Atoi(text)
	switch {
	case err != nil && integerRe.MatchString(text):
		return errAt(node, "batch size %s is out of range: between 1 and %d", clip(text), MaxInstances)
	case err != nil:
		return errAt(node, "expected a count (2) or a percentage (\"25%%\"), got %s", short(text))
	case n < 1 || n > MaxInstances:
		return errAt(node, "batch size %d must be between 1 and %d", n, MaxInstances)
	}
	s.N = n
	return nil
}

// UnmarshalYAML implements yaml.NodeUnmarshaler.
func (m *Mode) UnmarshalYAML(node ast.Node) error {
	switch v := unwrap(node).(type) {
	case *ast.BoolNode:
		*m = "no"
		if v.Value {
			*m = "yes"
		}
	case *ast.StringNode:
		*m = Mode(v.Value)
	default:
		return errAt(node, "expected true, false or a word, got %s", describe(node))
	}
	return nil
}

// UnmarshalYAML implements yaml.NodeUnmarshaler.
func (l *StringList) UnmarshalYAML(node ast.Node) error {
	*l = nil
	n := unwrap(node)
	if _, null := n.(*ast.NullNode); null {
		return nil
	}
	if s, ok := scalarText(n); ok {
		*l = StringList{s}
		return nil
	}
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		return errAt(node, "expected a value or a list of values, got %s", describe(node))
	}
	for _, item := range seq.Values {
		s, ok := scalarText(item)
		if !ok {
			return errAt(item, "expected a value, got %s", describe(item))
		}
		*l = append(*l, s)
	}
	return nil
}
