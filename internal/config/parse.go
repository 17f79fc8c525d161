package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/sysroll/sysroll/internal/safeio"
	"github.com/sysroll/sysroll/internal/yamlpos"
)

// MaxFileSize bounds a service file; anything larger is not a service file.
const MaxFileSize = 1 << 20

// Load reads, parses and validates the service file at path.
func Load(path string) (*Service, error) {
	data, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// ReadFile reads the service file at path the one way every caller must: at
// most MaxFileSize bytes, and only a regular file (a FIFO, a device such as
// /dev/zero or a directory is refused at once, without blocking or reading).
// The error names the file and the rule; errors.Is matches
// safeio.ErrTooLarge and safeio.ErrNotRegular.
func ReadFile(path string) ([]byte, error) {
	data, err := safeio.ReadFile(path, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("load service file: %w", err)
	}
	return data, nil
}

// Parse decodes a service file, fills in defaults and validates it; name is the
// file name used in error messages. The returned error lists every problem found
// (errors.Join of *FieldError), each with file:line:column where known. A
// Service returned without error is valid.
func Parse(name string, data []byte) (*Service, error) {
	svc, err := decode(name, data)
	if err != nil {
		return nil, err
	}
	if err := svc.Validate(); err != nil {
		return nil, err
	}
	return svc, nil
}

func decode(name string, data []byte) (*Service, error) {
	src := &source{file: name}
	e := &errs{src: src}
	if len(data) > MaxFileSize {
		e.add(nil, "file is %d bytes, more than the %d (%s) a service file may have", len(data), MaxFileSize, safeio.Size(MaxFileSize))
		return nil, e.join()
	}
	data, err := checkText(name, data)
	if err != nil {
		return nil, err
	}
	tokens, err := tokenize(name, data)
	if err != nil {
		return nil, err
	}
	if err := directiveError(name, tokens); err != nil {
		return nil, err
	}
	file, err := parser.Parse(tokens, 0)
	if err != nil {
		return nil, yamlError(name, err)
	}
	var body ast.Node
	switch {
	case len(file.Docs) > 1:
		e.addNode(file.Docs[1].Body, nil, "one service per file: found %d YAML documents", len(file.Docs))
		return nil, e.join()
	case len(file.Docs) == 1:
		body = file.Docs[0].Body
	}
	svc := Default()
	src.root = body
	svc.src = src
	if body == nil || isNull(body) {
		svc.applyDefaults()
		return svc, nil
	}
	// Our own decoder, not go-yaml's: it reports every unknown key and wrong
	// type at once, with positions, and keeps scalars as written (go-yaml
	// would turn umask: 0027 into "23" and 0x1F into "31").
	findTags(body, nil, e)
	if len(e.list) > 0 {
		return nil, e.join()
	}
	decodeNode(body, reflect.ValueOf(svc).Elem(), nil, e)
	svc.decodeFleet(e)
	if len(e.list) > 0 {
		return nil, e.join()
	}
	svc.applyDefaults()
	return svc, nil
}

// yamlError turns a go-yaml error into a FieldError naming the file.
func yamlError(file string, err error) error {
	var ne *nodeError
	if errors.As(err, &ne) && ne.tok != nil {
		return &FieldError{File: file, Line: ne.tok.Position.Line, Column: ne.tok.Position.Column, Msg: ne.msg}
	}
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		tok := ye.GetToken()
		msg := ye.GetMessage()
		if strings.Contains(msg, "'\t'") {
			msg = "a tab character: YAML indents with spaces only; replace the tab with spaces"
		}
		return &FieldError{File: file, Line: tok.Position.Line, Column: tok.Position.Column, Msg: msg}
	}
	return &FieldError{File: file, Msg: err.Error()}
}

func isNull(n ast.Node) bool { return yamlpos.IsNull(n) }

// addNode records a problem at a node we hold (rather than at a path).
func (e *errs) addNode(n ast.Node, path []any, format string, args ...any) {
	fe := &FieldError{File: e.src.file, Field: fieldPath(path), Msg: clip(fmt.Sprintf(format, args...))}
	if n != nil && n.GetToken() != nil {
		fe.Line, fe.Column = n.GetToken().Position.Line, n.GetToken().Position.Column
	}
	e.list = append(e.list, fe)
}
