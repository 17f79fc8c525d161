package rollout

import "fmt"

// Plan splits instances, in order, into batches following s: each batch's
// size is the next ramp entry (or Batch), the last entry repeating, with
// percentages taken of len(instances), rounded up, at least 1. The last
// batch takes what is left. Plan is pure.
func Plan(instances []string, s Strategy) ([][]string, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(instances))
	for _, in := range instances {
		if in == "" {
			return nil, fmt.Errorf("empty instance name")
		}
		if seen[in] {
			return nil, fmt.Errorf("instance %s listed twice", in)
		}
		seen[in] = true
	}
	steps := s.steps()
	total := len(instances)
	var batches [][]string
	for i, k := 0, 0; i < total; k++ {
		n := min(steps[min(k, len(steps)-1)].Size(total), total-i)
		batches = append(batches, instances[i:i+n:i+n])
		i += n
	}
	return batches, nil
}
