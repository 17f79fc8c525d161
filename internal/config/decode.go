package config

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

var (
	durationType      = reflect.TypeOf(time.Duration(0))
	nodeUnmarshalType = reflect.TypeOf((*yaml.NodeUnmarshaler)(nil)).Elem()
	stepType          = reflect.TypeOf(Step{})
)

// addDecodeError records an error of a value's own decoder: at the token
// it names (a *nodeError), or at the node.
func addDecodeError(e *errs, node ast.Node, path []any, err error) {
	var ne *nodeError
	if errors.As(err, &ne) {
		e.addNode(&ast.StringNode{BaseNode: &ast.BaseNode{}, Token: ne.tok}, path, "%s", ne.msg)
		return
	}
	e.addNode(node, path, "%v", err)
}

// decodeNode decodes node into dst (whose defaults are kept for anything the
// file leaves out), recording every mismatch in e rather than stopping.
func decodeNode(node ast.Node, dst reflect.Value, path []any, e *errs) {
	if alias, ok := node.(*ast.AliasNode); ok {
		e.addNode(alias, path, "YAML aliases (*name) are not supported in service files: write the value out")
		return
	}
	n := unwrap(node)
	if _, ok := n.(*ast.AliasNode); ok {
		decodeNode(n, dst, path, e)
		return
	}
	if isNull(n) {
		return // keeps the default
	}
	t := dst.Type()
	if reflect.PointerTo(t).Implements(nodeUnmarshalType) {
		v := reflect.New(t)
		if err := v.Interface().(yaml.NodeUnmarshaler).UnmarshalYAML(node); err != nil {
			addDecodeError(e, node, path, err)
			return
		}
		dst.Set(v.Elem())
		return
	}
	if t == durationType {
		decodeDuration(n, dst, path, e)
		return
	}
	if t == stepType {
		var st Step
		if err := decodeStep(node, &st); err != nil {
			addDecodeError(e, node, path, err)
			return
		}
		dst.Set(reflect.ValueOf(st))
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		v := reflect.New(t.Elem())
		if !dst.IsNil() {
			v.Elem().Set(dst.Elem())
		}
		decodeNode(node, v.Elem(), path, e)
		dst.Set(v)
	case reflect.Struct:
		decodeStruct(n, dst, path, e)
	case reflect.Map:
		decodeMap(n, dst, path, e)
	case reflect.Slice:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			e.addNode(n, path, "expected a list ([a, b]), got %s", describe(n))
			return
		}
		out := reflect.MakeSlice(t, len(seq.Values), len(seq.Values))
		for i, item := range seq.Values {
			decodeNode(item, out.Index(i), append(path, i), e)
		}
		dst.Set(out) // a list replaces the default, never extends it
	case reflect.String:
		s, ok := scalarText(n)
		if !ok {
			e.addNode(n, path, "expected a string, got %s", describe(n))
			return
		}
		if why := textProblem(s); why != "" {
			e.addNode(n, path, "%s", why)
			return
		}
		dst.SetString(s)
	case reflect.Int:
		if text, ok := scalarText(n); ok && nonDecimal(text) {
			e.addNode(n, path, nonDecimalMsg, clip(text))
			return
		}
		if text, big := bigInteger(n); big {
			e.addNode(n, path, "%s is out of range: %s %s", clip(text), fieldPath(path), intRule(fieldPath(path)))
			return
		}
		v, ok := n.(*ast.IntegerNode)
		if !ok {
			e.addNode(n, path, "expected an integer, got %s", describe(n))
			return
		}
		var i int64
		switch x := v.Value.(type) {
		case int64:
			i = x
		case uint64:
			i = int64(min(x, math.MaxInt32+1))
		}
		if i < math.MinInt32 || i > math.MaxInt32 {
			e.addNode(n, path, "%s is out of range: %s %s", clip(v.GetToken().Value), fieldPath(path), intRule(fieldPath(path)))
			return
		}
		dst.SetInt(i)
	case reflect.Bool:
		v, ok := n.(*ast.BoolNode)
		if !ok {
			e.addNode(n, path, "expected true or false, got %s", describe(n))
			return
		}
		dst.SetBool(v.Value)
	default:
		e.addNode(n, path, "cannot decode into %v", t) // a programming error
	}
}

func decodeDuration(n ast.Node, dst reflect.Value, path []any, e *errs) {
	s, ok := n.(*ast.StringNode)
	if !ok {
		e.addNode(n, path, "expected a duration with a unit, like \"30s\" or \"500ms\", got %s", describe(n))
		return
	}
	d, err := time.ParseDuration(s.Value)
	switch {
	case err != nil && durationSyntax.MatchString(s.Value):
		e.addNode(n, path, "%s is out of range: no duration can be longer than %v (%s allows at most %s)", short(s.Value), maxDuration, fieldPath(path), human(durationLimits[fieldPath(path)].max))
		return
	case err != nil:
		e.addNode(n, path, "%s is not a duration: use a number with a unit, like \"30s\", \"500ms\" or \"2m\"", short(s.Value))
		return
	}
	dst.SetInt(int64(d))
}

func decodeMap(n ast.Node, dst reflect.Value, path []any, e *errs) {
	m, ok := n.(*ast.MappingNode)
	if !ok {
		e.addNode(n, path, "expected a mapping (KEY: value), got %s", describe(n))
		return
	}
	if dst.IsNil() {
		dst.Set(reflect.MakeMapWithSize(dst.Type(), len(m.Values)))
	}
	for _, kv := range m.Values {
		k, ok := scalarText(kv.Key)
		if !ok || kv.Key.IsMergeKey() {
			e.addNode(kv.Key, path, "keys must be plain names")
			continue
		}
		v := reflect.New(dst.Type().Elem()).Elem()
		decodeNode(kv.Value, v, append(path, k), e)
		dst.SetMapIndex(reflect.ValueOf(k), v)
	}
}

func decodeStruct(n ast.Node, dst reflect.Value, path []any, e *errs) {
	m, ok := n.(*ast.MappingNode)
	if !ok {
		e.addNode(n, path, "expected a mapping (key: value), got %s", describe(n))
		return
	}
	fields := yamlFields(dst.Type())
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names) // ties in suggest() must not depend on map order
	for _, kv := range m.Values {
		k, ok := scalarText(kv.Key)
		if kv.Key.IsMergeKey() {
			e.addNode(kv.Key, path, "YAML merge keys (<<) are not supported in service files: write the keys out")
			continue
		}
		if !ok {
			e.addNode(kv.Key, path, "keys must be plain names, got %s", describe(kv.Key))
			continue
		}
		f, known := fields[k]
		if !known {
			where := ""
			if len(path) > 0 {
				where = " in " + fieldPath(path)
			}
			e.addNode(kv.Key, nil, "unknown key %q%s%s", k, where, suggest(k, names))
			continue
		}
		decodeNode(kv.Value, dst.FieldByIndex(f.Index), append(path, k), e)
	}
}

// yamlFields maps the yaml tag names of struct t to its fields.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	out := make(map[string]reflect.StructField)
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		out[name] = f
	}
	return out
}
