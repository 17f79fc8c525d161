package yamlpos

// maxCompared bounds the runes Distance compares: a key longer than a line
// is no typo of a known one, and comparing it would cost its length
// squared.
const maxCompared = 64

// Distance is the edit distance (insert, delete, substitute, by rune)
// between a and b, for "did you mean" suggestions on misspelt keys. For a
// string longer than 64 runes it is the longer length, past any threshold
// a suggestion uses.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > maxCompared || len(rb) > maxCompared {
		return max(len(ra), len(rb))
	}
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
