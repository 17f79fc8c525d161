package plan

import (
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// suggest names the strategy key closest to a misspelt one.
func suggest(k string) string {
	norm := func(s string) string { return strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(s)) }
	best, dist := "", -1
	for _, c := range strategyKeys {
		if norm(c) == norm(k) || len(k) >= 4 && strings.HasPrefix(c, k) {
			return " (did you mean " + c + "?)"
		}
		if d := levenshtein(strings.ToLower(k), c); dist < 0 || d < dist {
			best, dist = c, d
		}
	}
	if dist <= max(2, len(k)/4) {
		return " (did you mean " + best + "?)"
	}
	return " (known keys: " + strings.Join(strategyKeys, ", ") + ")"
}

func unwrap(n ast.Node) ast.Node {
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

func isNull(n ast.Node) bool {
	_, ok := unwrap(n).(*ast.NullNode)
	return ok
}

// scalar is the text of a scalar node, as written.
func scalar(n ast.Node) (string, bool) {
	switch v := unwrap(n).(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		return v.GetToken().Value, true
	}
	return "", false
}

// str is the text of a string node only.
func str(n ast.Node) (string, bool) {
	if v, ok := unwrap(n).(*ast.StringNode); ok {
		return v.Value, true
	}
	return "", false
}

func describe(n ast.Node) string {
	switch v := unwrap(n).(type) {
	case *ast.StringNode, *ast.LiteralNode:
		return "a string"
	case *ast.IntegerNode:
		return "an integer (" + clip(v.GetToken().Value) + ")"
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

// levenshtein is the edit distance between a and b, for suggestions; a
// key longer than a line is not worth comparing.
func levenshtein(a, b string) int {
	if len(a) > 64 {
		return len(a)
	}
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
