package config

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/sysroll/sysroll/internal/yamlpos"
)

// FieldError is one problem in a service file, with where it is. It is
// yamlpos.Error, the type the inventory and the host strategy report too,
// so errors from hosts: and fleet: read as the rest of the file's.
type FieldError = yamlpos.Error

// source is the parsed file a Service came from.
type source struct {
	file string
	root ast.Node
}

// key selects a mapping key itself (not its value) as the last path element, for
// errors about the key (an environment variable name).
type key string

// fieldPath renders path elements as "health.http.url", "instances[1]".
func fieldPath(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch v := p.(type) {
		case int:
			b.WriteString("[" + strconv.Itoa(v) + "]")
		case key:
			b.WriteString("." + string(v))
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(v)
		}
	}
	return strings.TrimPrefix(b.String(), ".")
}

// lookup finds the node at path (strings: mapping keys, ints: list indexes, key:
// the key node of a mapping entry). It returns the deepest node it could reach,
// or nil when not even the first element is in the file (a default value).
func lookup(root ast.Node, path []any) ast.Node {
	var n ast.Node
	cur := root
	for _, p := range path {
		next := step(unwrap(cur), p)
		if next == nil {
			break
		}
		n, cur = next, next
	}
	return n
}

func step(n ast.Node, p any) ast.Node {
	switch v := p.(type) {
	case int:
		if seq, ok := n.(*ast.SequenceNode); ok && v >= 0 && v < len(seq.Values) {
			return seq.Values[v]
		}
	case string, key:
		m, ok := n.(*ast.MappingNode)
		if !ok {
			return nil
		}
		want := fmt.Sprint(v)
		for _, kv := range m.Values {
			if k, _ := scalarText(kv.Key); k == want {
				if _, isKey := v.(key); isKey {
					return kv.Key
				}
				return kv.Value
			}
		}
	}
	return nil
}

// Limits that keep a hostile file from producing a hostile error message.
const (
	maxErrors = 50 // errors reported; the rest are counted
)

// errs collects FieldErrors for one Service.
type errs struct {
	src  *source
	list []error
	// portUse is the first setting checkTemplate saw use {port}, for the
	// check of each host's own instances (validateFleet).
	portUse []any
}

// add records a problem at path.
func (e *errs) add(path []any, format string, args ...any) {
	fe := &FieldError{Field: fieldPath(path), Msg: clip(fmt.Sprintf(format, args...))}
	if e.src != nil {
		fe.File = e.src.file
		if e.src.root != nil {
			if n := lookup(e.src.root, path); n != nil && n.GetToken() != nil {
				fe.Line = n.GetToken().Position.Line
				fe.Column = n.GetToken().Position.Column
			}
		}
	}
	e.list = append(e.list, fe)
}

// notePort records a setting that uses {port}: the first the checks reach,
// and of one mapping (environment:, which is a Go map) the first by name,
// so the message does not depend on map order.
func (e *errs) notePort(path []any) {
	if e.portUse == nil || len(path) > 0 && path[0] == e.portUse[0] && fieldPath(path) < fieldPath(e.portUse) {
		e.portUse = slices.Clone(path)
	}
}

// at builds a path from elements; a helper to keep call sites short.
func at(p ...any) []any { return p }

// clip shortens an overlong message (a 500 KB name quoted back is no help).
func clip(msg string) string { return yamlpos.Clip(msg) }

// join returns the collected errors, at most maxErrors of them.
func (e *errs) join() error {
	if len(e.list) > maxErrors {
		more := len(e.list) - maxErrors
		e.list = append(e.list[:maxErrors:maxErrors], fmt.Errorf("... and %d more errors", more))
	}
	return errors.Join(e.list...)
}
