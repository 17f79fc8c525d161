package inventory

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/scanner"
	"github.com/goccy/go-yaml/token"

	"github.com/sysroll/sysroll/internal/yamlpos"
)

// Bounds on a YAML inventory, checked on the tokens before go-yaml builds a
// tree: its parser allocates about 1 KiB per token and, in one block
// mapping, memory in the square of the keys (10,000 host keys in one
// hosts: mapping allocated 467 MiB; 2,000 take about 25). A YAML inventory
// of MaxHosts hosts therefore splits them into groups; ansible-inventory
// --list JSON has no such cost and takes them in one.
// Lists are linear (a 10,000-item hosts: list took 81 MiB), so their items
// are bounded by MaxHosts only.
const (
	// MaxYAMLTokens bounds the tokens (keys, values, punctuation).
	MaxYAMLTokens = 200000
	// MaxYAMLEntries bounds the keys of one mapping.
	MaxYAMLEntries = 2000
	// MaxYAMLDepth bounds nesting, block and flow together.
	MaxYAMLDepth = 32
)

// parseYAMLTree scans and parses data within the bounds above.
func parseYAMLTree(file string, data []byte) (ast.Node, error) {
	tokens, err := scanYAML(file, data)
	if err != nil {
		return nil, err
	}
	f, err := parser.Parse(tokens, 0)
	if err != nil {
		return nil, yamlError(file, err)
	}
	switch len(f.Docs) {
	case 0:
		return nil, nil
	case 1:
		return f.Docs[0].Body, nil
	}
	return nil, at(file, f.Docs[1].Body, "one inventory per file: found %d YAML documents", len(f.Docs))
}

// scanYAML runs go-yaml's scanner a call at a time, so a token bomb stops at
// MaxYAMLTokens without being scanned whole, and checks the nesting depth
// and the entries of each mapping or list on the way.
func scanYAML(file string, data []byte) (token.Tokens, error) {
	var s scanner.Scanner
	s.Init(string(data))
	var tokens token.Tokens
	var sh shape
	last := -1
	for {
		sub, err := s.Scan()
		if err == io.EOF {
			return tokens, nil
		}
		if len(sub) == 0 && err == nil {
			return nil, &Error{File: file, Msg: "the YAML scanner cannot go on; check the quoting and indentation"}
		}
		if len(sub) > 0 && sub[0].Position.Offset <= last && err == nil {
			return nil, tokenError(file, sub[0], "the YAML scanner cannot go on from here; check the quoting and indentation")
		}
		for _, tk := range sub {
			tokens.Add(tk)
			if len(tokens) > MaxYAMLTokens {
				return nil, tokenError(file, tk, fmt.Sprintf("more than %d YAML tokens: for a larger inventory use ansible-inventory --list JSON", MaxYAMLTokens))
			}
			if msg := sh.add(tokens, len(tokens)-1); msg != "" {
				return nil, tokenError(file, tk, msg)
			}
		}
		if err != nil {
			return tokens, nil // the parser reports it, with its position
		}
		last = tokens[len(tokens)-1].Position.Offset
	}
}

// shape tracks open flow collections and block levels (by column).
type shape struct {
	flow   []flowLevel
	blocks []level
}

// flowLevel counts the entries of an open [ or {.
type flowLevel struct {
	entries int
	mapping bool
}

// level counts a block level's keys and its "- " items apart: a list may
// sit at the same column as the keys of the mapping holding it.
type level struct{ col, keys, items int }

func (sh *shape) add(tokens token.Tokens, i int) string {
	tk := tokens[i]
	tooMany := func(mapping bool) string {
		if mapping {
			return fmt.Sprintf("more than %d keys in one mapping: split the hosts into groups, or use ansible-inventory --list JSON", MaxYAMLEntries)
		}
		return fmt.Sprintf("more than %d items in one list: an inventory has at most %d hosts", MaxHosts, MaxHosts)
	}
	switch tk.Type {
	case token.CommentType, token.DocumentHeaderType, token.DocumentEndType, token.DirectiveType:
		return ""
	case token.SequenceStartType, token.MappingStartType:
		sh.flow = append(sh.flow, flowLevel{mapping: tk.Type == token.MappingStartType})
	case token.SequenceEndType, token.MappingEndType:
		if len(sh.flow) > 0 {
			sh.flow = sh.flow[:len(sh.flow)-1]
		}
	case token.CollectEntryType:
		if n := len(sh.flow); n > 0 {
			f := &sh.flow[n-1]
			if f.entries++; f.mapping && f.entries > MaxYAMLEntries || f.entries > MaxHosts {
				return tooMany(f.mapping)
			}
		}
	}
	if len(sh.flow) == 0 && startsBlockLevel(tokens, i) {
		col := tk.Position.Column
		for len(sh.blocks) > 0 && sh.blocks[len(sh.blocks)-1].col > col {
			sh.blocks = sh.blocks[:len(sh.blocks)-1]
		}
		if n := len(sh.blocks); n == 0 || sh.blocks[n-1].col != col {
			sh.blocks = append(sh.blocks, level{col: col})
		}
		l := &sh.blocks[len(sh.blocks)-1]
		if tk.Type == token.SequenceEntryType {
			if l.items++; l.items > MaxHosts {
				return tooMany(false)
			}
		} else if l.keys++; l.keys > MaxYAMLEntries {
			return tooMany(true)
		}
	}
	if len(sh.flow)+len(sh.blocks) > MaxYAMLDepth {
		return fmt.Sprintf("YAML nesting deeper than %d levels", MaxYAMLDepth)
	}
	return ""
}

// startsBlockLevel reports whether token i can open a block level
// (yamlpos.StartsBlockLevel).
func startsBlockLevel(tokens token.Tokens, i int) bool { return yamlpos.StartsBlockLevel(tokens, i) }

func tokenError(file string, tk *token.Token, msg string) error {
	return yamlpos.TokenError(file, tk, msg)
}

// yamlError turns a go-yaml error into an Error naming the file.
func yamlError(file string, err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		msg := ye.GetMessage()
		if strings.Contains(msg, "'\t'") {
			msg = "a tab character: YAML indents with spaces only"
		}
		return tokenError(file, ye.GetToken(), clip(msg))
	}
	return &Error{File: file, Msg: clip(err.Error())}
}

// at is an Error at a node.
func at(file string, n ast.Node, format string, args ...any) *Error {
	e := &Error{File: file, Msg: clip(fmt.Sprintf(format, args...))}
	if n != nil && n.GetToken() != nil {
		e.Line, e.Column = n.GetToken().Position.Line, n.GetToken().Position.Column
	}
	return e
}

// nodePos is a node's position.
func nodePos(n ast.Node) pos {
	line, col := yamlpos.Pos(n)
	return pos{line, col}
}
