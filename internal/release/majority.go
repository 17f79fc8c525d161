package release

// Majority is the release most of the given instances run: what a rollout
// records as its "from" and what rollback calls current. versions are the
// instances' releases in the service's instance order; "" (an instance with
// no release yet) never counts. A tie goes to the release of the earliest
// instance in that order, so the answer never depends on map iteration or on
// how versions happen to sort.
func Majority(versions []string) string {
	count := make(map[string]int, len(versions))
	first := make(map[string]int, len(versions))
	for i, v := range versions {
		if v == "" {
			continue
		}
		if count[v] == 0 {
			first[v] = i
		}
		count[v]++
	}
	best := ""
	for v, n := range count {
		if best == "" || n > count[best] || (n == count[best] && first[v] < first[best]) {
			best = v
		}
	}
	return best
}
