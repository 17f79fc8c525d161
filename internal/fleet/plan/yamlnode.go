package plan

import (
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/sysroll/sysroll/internal/yamlpos"
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

func unwrap(n ast.Node) ast.Node { return yamlpos.Unwrap(n) }

func isNull(n ast.Node) bool { return yamlpos.IsNull(n) }

// scalar is the text of a scalar node, as written; a literal block (|) is
// not a strategy value.
func scalar(n ast.Node) (string, bool) {
	if _, lit := unwrap(n).(*ast.LiteralNode); lit {
		return "", false
	}
	return yamlpos.Text(n)
}

// str is the text of a string node only.
func str(n ast.Node) (string, bool) {
	if v, ok := unwrap(n).(*ast.StringNode); ok {
		return v.Value, true
	}
	return "", false
}

// describe is yamlpos.Describe with an integer's value, which a strategy
// error about a count is clearer for.
func describe(n ast.Node) string {
	if v, ok := unwrap(n).(*ast.IntegerNode); ok {
		return "an integer (" + clip(v.GetToken().Value) + ")"
	}
	return yamlpos.Describe(n)
}

// levenshtein is the edit distance for suggestions (yamlpos.Distance).
func levenshtein(a, b string) int { return yamlpos.Distance(a, b) }
