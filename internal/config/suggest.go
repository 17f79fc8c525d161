package config

import "strings"

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

// levenshtein is the edit distance between a and b (insert, delete, substitute).
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
