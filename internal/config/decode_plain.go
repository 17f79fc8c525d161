package config

import (
	"regexp"
	"slices"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// Service files are plain YAML: what a value means must not depend on which
// YAML version or library reads it.

var (
	// numberLikeRe is what a YAML 1.1 or 1.2 reader may take for an integer.
	numberLikeRe = regexp.MustCompile(`^[+-]?(0[xXoObB][0-9a-fA-F_]+|[0-9][0-9_]*)$`)
	// decimalRe is the one form every reader takes the same way.
	decimalRe = regexp.MustCompile(`^[+-]?(0|[1-9][0-9]*)$`)
)

// nonDecimal reports an integer written in a form readers disagree on:
// 010 is 8 to go-yaml and YAML 1.1 but 10 to YAML 1.2, 08 is a string to
// one and 8 to another, 0x10, 0o10, 0b10 and 1_000 are integers to some only.
func nonDecimal(text string) bool {
	return numberLikeRe.MatchString(text) && !decimalRe.MatchString(text)
}

// nonDecimalMsg says the rule for an integer nonDecimal refused.
const nonDecimalMsg = "%s is not plain decimal: write whole numbers like 10, without leading zeros, 0x, 0o, 0b or _ (YAML readers disagree on them: 010 is 8 in YAML 1.1, 10 in YAML 1.2)"

// findTags reports every YAML tag (!!binary, !!timestamp, !!str, !custom)
// under n. The decoder would drop a tag and read the text under it (a
// !!binary name as its base64 text, a !!str 5 as the integer 5), so the
// value would mean something other than the file says; no field needs one.
func findTags(n ast.Node, path []any, e *errs) {
	switch v := n.(type) {
	case *ast.TagNode:
		e.addNode(v, path, "YAML tags (%s) are not supported in service files: write the value without it (quote it to make it text)", v.Start.Value)
	case *ast.AnchorNode:
		findTags(v.Value, path, e)
	case *ast.MappingNode:
		for _, kv := range v.Values {
			findTags(kv, path, e)
		}
	case *ast.MappingValueNode:
		findTags(v.Key, path, e)
		if k, ok := scalarText(v.Key); ok {
			findTags(v.Value, append(slices.Clone(path), k), e)
		}
	case *ast.SequenceNode:
		for i, item := range v.Values {
			findTags(item, append(slices.Clone(path), i), e)
		}
	}
}

// directiveError refuses a %YAML or %TAG directive: %YAML 1.1 would change
// what plain scalars mean to a reader that honours it, and %TAG exists only
// for tags; go-yaml took the directive for a document of its own ("found 2
// YAML documents").
func directiveError(file string, tokens token.Tokens) error {
	for _, tk := range tokens {
		if tk.Type == token.DirectiveType {
			return &FieldError{File: file, Line: tk.Position.Line, Column: tk.Position.Column,
				Msg: "YAML directives (%YAML, %TAG) are not supported in service files: remove the line"}
		}
	}
	return nil
}
