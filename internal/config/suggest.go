package config

import (
	"strings"

	"github.com/sysroll/sysroll/internal/yamlpos"
)

// suggest returns " (did you mean X?)" for the candidate closest to word, or ""
// when none is close enough to be a likely typo.
func suggest(word string, candidates []string) string {
	best, bestDist := "", -1
	norm := normalizeKey(word)
	for _, c := range candidates {
		// healthy_for vs healthyFor; first vs first_port.
		if normalizeKey(c) == norm || len(norm) >= 3 && strings.HasPrefix(normalizeKey(c), norm) {
			return " (did you mean " + c + "?)"
		}
		d := levenshtein(strings.ToLower(word), c)
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	// Allow about one typo per three letters, but at least two.
	if bestDist >= 0 && bestDist <= max(2, len(word)/3) {
		return " (did you mean " + best + "?)"
	}
	return ""
}

func normalizeKey(s string) string {
	s = strings.ToLower(s)
	return strings.NewReplacer("_", "", "-", "").Replace(s)
}

// levenshtein is the edit distance between a and b (yamlpos.Distance).
func levenshtein(a, b string) int { return yamlpos.Distance(a, b) }
