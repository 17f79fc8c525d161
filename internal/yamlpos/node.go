package yamlpos

import (
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// Unwrap strips anchors and tags, which carry no meaning for sysroll.
func Unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		default:
			return n
		}
	}
}

// IsNull reports whether n is absent or null ("key:" with nothing, "~").
func IsNull(n ast.Node) bool {
	if n == nil {
		return true
	}
	_, ok := Unwrap(n).(*ast.NullNode)
	return ok
}

// Text is the text of a scalar as written (a string's value, a literal
// block's content, a number's or boolean's token) and whether n is one.
// Readers that take more (null, infinity) or less (no literal block) say so
// before calling it.
func Text(n ast.Node) (string, bool) {
	switch v := Unwrap(n).(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		return v.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		if v.GetToken() == nil {
			return "", false
		}
		return v.GetToken().Value, true
	}
	return "", false
}

// Describe names a node's kind the way a YAML user thinks of it, for
// "expected a list, got a string".
func Describe(n ast.Node) string {
	switch Unwrap(n).(type) {
	case *ast.StringNode, *ast.LiteralNode:
		return "a string"
	case *ast.IntegerNode:
		return "an integer"
	case *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number"
	case *ast.BoolNode:
		return "a boolean"
	case *ast.NullNode:
		return "nothing (null)"
	case *ast.SequenceNode:
		return "a list"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.AliasNode:
		return "an alias"
	}
	return "something else"
}

// StartsBlockLevel reports whether token i can open a block mapping or
// list level: the first token on its line, or one right after "- " or
// "? " on the same line ("- - x" nests twice). The shape checks that bound
// nesting and entries before go-yaml builds a tree count levels with it.
func StartsBlockLevel(tokens token.Tokens, i int) bool {
	tk := tokens[i]
	for j := i - 1; j >= 0; j-- {
		prev := tokens[j]
		if prev.Type == token.CommentType {
			continue
		}
		if prev.Position.Line != tk.Position.Line {
			return true
		}
		return prev.Type == token.SequenceEntryType || prev.Type == token.MappingKeyType
	}
	return true
}
