package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// maxJSONDepth bounds nesting in an ansible-inventory --list document (its
// shape is four levels deep; hostvars may hold deeper values, skipped).
const maxJSONDepth = 64

// jsonGroup is one group of ansible-inventory --list as read.
type jsonGroup struct {
	p        pos
	hosts    []ref
	children []ref
	vars     map[string]val
}

// jsonReader streams an ansible-inventory --list document with
// encoding/json's tokenizer, keeping only what sysroll reads (group
// structure, and variables that are scalars or flat lists and mappings),
// so a 32 MiB cloud inventory is not built into a tree. Positions come
// from byte offsets.
type jsonReader struct {
	file   string
	data   []byte
	lines  []int // offset of each line start
	dec    *json.Decoder
	depth  int
	groups map[string]*jsonGroup
	order  []string
	vars   map[string]map[string]val // _meta.hostvars
	varsP  map[string]pos
	names  int // names read in all hosts and children lists
}

// maxJSONNames bounds the names in all the hosts and children lists of a
// JSON inventory together (a host is listed once per group it is in:
// MaxHosts hosts in 20 groups each); each costs about 300 bytes to read.
const maxJSONNames = 200000

// parseJSON reads the output of ansible-inventory --list:
// {GROUP: {hosts: [...], vars: {...}, children: [...]}, _meta: {hostvars:
// {HOST: {...}}}}; a group may also be a bare list of hosts (the older
// dynamic inventory script format).
func parseJSON(file string, data []byte) (*Inventory, error) {
	r := &jsonReader{file: file, data: data, dec: json.NewDecoder(bytes.NewReader(data)),
		groups: make(map[string]*jsonGroup), vars: make(map[string]map[string]val), varsP: make(map[string]pos)}
	r.dec.UseNumber()
	r.lines = []int{0}
	for i, c := range data {
		if c == '\n' {
			r.lines = append(r.lines, i+1)
		}
	}
	if err := r.document(); err != nil {
		return nil, err
	}
	return r.build()
}

// fail is the one error a JSON inventory gets: reading stops at it (the
// tokenizer cannot go on after a syntax error, and the rest is structure).
func (r *jsonReader) fail(p pos, format string, args ...any) error {
	return &Error{File: r.file, Line: p.line, Column: p.col, Msg: clip(fmt.Sprintf(format, args...))}
}

// posAt is the position of the next token: offset is where the last one
// ended; blanks and the ',' ':' separators are skipped.
func (r *jsonReader) posAt(off int64) pos {
	i := int(off)
	for i < len(r.data) && strings.IndexByte(" \t\r\n,:", r.data[i]) >= 0 {
		i++
	}
	line := sort.Search(len(r.lines), func(k int) bool { return r.lines[k] > i })
	return pos{line: line, col: i - r.lines[line-1] + 1}
}

// token reads the next token and where it starts.
func (r *jsonReader) token() (json.Token, pos, error) {
	p := r.posAt(r.dec.InputOffset())
	tok, err := r.dec.Token()
	if err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			p = r.posAt(se.Offset - 1)
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, p, r.fail(p, "not valid JSON: %v", err)
	}
	if d, ok := tok.(json.Delim); ok {
		switch d {
		case '{', '[':
			if r.depth++; r.depth > maxJSONDepth {
				return nil, p, r.fail(p, "JSON nesting deeper than %d levels", maxJSONDepth)
			}
		default:
			r.depth--
		}
	}
	return tok, p, nil
}

// object reads an object, calling each for every key with its position.
func (r *jsonReader) object(what string, each func(key string, p pos) error) error {
	tok, p, err := r.token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return r.fail(p, "%s must be a JSON object, got %s", what, describeJSON(tok))
	}
	for r.dec.More() {
		ktok, kp, err := r.token()
		if err != nil {
			return err
		}
		if err := each(ktok.(string), kp); err != nil {
			return err
		}
	}
	_, _, err = r.token()
	return err
}

// strings reads an array of strings.
func (r *jsonReader) strings(what string) ([]ref, error) {
	tok, p, err := r.token()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('[') {
		return nil, r.fail(p, "%s must be a JSON array of names, got %s", what, describeJSON(tok))
	}
	var out []ref
	for r.dec.More() {
		t, p, err := r.token()
		if err != nil {
			return nil, err
		}
		s, ok := t.(string)
		if !ok {
			return nil, r.fail(p, "%s must hold names (strings), got %s", what, describeJSON(t))
		}
		if r.names++; r.names > maxJSONNames {
			return nil, r.fail(p, "more than %d names in the hosts and children lists", maxJSONNames)
		}
		out = append(out, ref{s, p})
	}
	_, _, err = r.token()
	return out, err
}

// skip reads and drops one value (of any depth). An array or object is
// decoded whole as raw bytes, ten times faster than token by token (a
// 32 MiB ignored value took 3.3 s and 2 GiB of garbage that way).
func (r *jsonReader) skip() error {
	if c := r.peek(); c == '[' || c == '{' {
		p := r.posAt(r.dec.InputOffset())
		var raw json.RawMessage
		if err := r.dec.Decode(&raw); err != nil {
			return r.fail(p, "not valid JSON in this value: %v", err)
		}
		return nil
	}
	tok, _, err := r.token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); ok && (d == '{' || d == '[') {
		for r.dec.More() {
			if err := r.skip(); err != nil {
				return err
			}
		}
		_, _, err = r.token()
	}
	return err
}

func describeJSON(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '{' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "something else"
}
