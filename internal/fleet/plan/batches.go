package plan

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Host is what planning needs of one host of the rollout (after --limit).
type Host struct {
	Name   string
	Labels map[string]string
	// Instances is how many instances of the service the host runs.
	Instances int
	// MaxDown is how many of them its own step takes out of service at
	// once (the largest batch of its instance strategy); 0 means all.
	MaxDown int
}

// down is how many instances the host's step may take out at once.
func (h Host) down() int {
	if h.MaxDown > 0 && h.MaxDown < h.Instances {
		return h.MaxDown
	}
	return h.Instances
}

// Batch is one host batch of a plan.
type Batch struct {
	// Hosts roll together, in this order.
	Hosts []string
	// Size is how many hosts the strategy asked for; len(Hosts) is less
	// when a limit cut the batch short (Notes says which) or when fewer
	// hosts were left.
	Size int
	// Notes explain a batch cut short, for --dry-run.
	Notes []string
}

// Plan is the host batches of a fleet rollout.
type Plan struct {
	Batches []Batch
	// Instances counts every instance of the hosts planned.
	Instances int
	// MinAvailable is the fleet-wide floor min_available resolves to, or 0
	// when it is unset (then every instance outside the steps in flight
	// must serve).
	MinAvailable int
}

// HostNames returns the batches as lists of host names.
func (p *Plan) HostNames() [][]string {
	out := make([][]string, len(p.Batches))
	for i, b := range p.Batches {
		out[i] = slices.Clone(b.Hosts)
	}
	return out
}

// ResolveFloor is the count min_available names out of total instances:
// a percentage rounds up (a floor never rounds in the direction of less
// capacity); 0 when unset.
func ResolveFloor(s Size, total int) int {
	if s.Percent > 0 {
		return (total*s.Percent + 99) / 100
	}
	return s.N
}

// Batches plans the host batches of a rollout over hosts, in their order
// (the inventory's, --limit already applied), following s:
//
//  1. hosts are sorted by the OrderBy labels' values, ties in their order;
//  2. each batch's size is the next ramp entry (or Batch), the last
//     repeating, a percentage taken of len(hosts), rounded up, at least
//     1, and capped by MaxParallel;
//  3. each batch is filled in that order, passing over a host that would
//     put more hosts of one label value in it than MaxPerLabel allows, or
//     take more instances out at once than MinAvailable leaves (counted
//     on a healthy fleet); a host passed over waits for a later batch.
//
// It refuses, with every reason, a strategy the hosts cannot honour: a
// label the strategy names that a host lacks, a floor above the fleet's
// instances, a host that alone would go below the floor, a failure budget
// that tolerates every host failing. It is pure and deterministic.
func Batches(hosts []Host, s Strategy) (*Plan, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("host strategy: %w", err)
	}
	s = s.WithDefaults()
	if err := checkHosts(hosts, s); err != nil {
		return nil, err
	}
	p := &Plan{}
	for _, h := range hosts {
		p.Instances += h.Instances
	}
	p.MinAvailable = ResolveFloor(s.MinAvailable, p.Instances)
	var errs []error
	if p.MinAvailable > p.Instances {
		errs = append(errs, fmt.Errorf("min_available %s is more than the %d instances of the %d hosts: lower it",
			s.MinAvailable, p.Instances, len(hosts)))
	}
	if s.FailureBudget > 0 && s.FailureBudget >= len(hosts) {
		errs = append(errs, fmt.Errorf("failure_budget %d would tolerate every one of the %d hosts failing: lower it", s.FailureBudget, len(hosts)))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	queue := ordered(hosts, s.OrderBy)
	// spare is how many instances may be out at once on a healthy fleet.
	spare := p.Instances
	if s.MinAvailable != (Size{}) {
		spare = p.Instances - p.MinAvailable
	}
	steps := s.steps()
	for k := 0; len(queue) > 0; k++ {
		size := steps[min(k, len(steps)-1)].Size(len(hosts))
		if s.MaxParallel > 0 {
			size = min(size, s.MaxParallel)
		}
		b, rest, why := fill(queue, size, spare, s.MaxPerLabel)
		if len(b.Hosts) == 0 {
			h := queue[0]
			return nil, fmt.Errorf("host %s alone takes %d instances out at once, leaving %d of %d serving, below min_available %s (%d): "+
				"lower min_available, or make that host roll fewer instances at once (rollout.batch)",
				h.Name, h.down(), p.Instances-h.down(), p.Instances, s.MinAvailable, p.MinAvailable)
		}
		b.Size = size
		if len(b.Hosts) < size && len(rest) > 0 {
			b.Notes = why
		}
		p.Batches = append(p.Batches, b)
		queue = rest
	}
	return p, nil
}

// fill takes up to size hosts from queue for one batch, in order, within
// the label limits and spare instances; it returns the batch, the hosts
// left (in order) and, when a limit passed a host over, why.
func fill(queue []Host, size, spare int, limits map[string]int) (b Batch, rest []Host, why []string) {
	count := map[string]map[string]int{} // label → value → hosts in batch
	down := 0
	byLabel := map[string]bool{}
	byFloor := false
	for _, h := range queue {
		if len(b.Hosts) == size {
			rest = append(rest, h)
			continue
		}
		ok := true
		for _, k := range sortedKeys(limits) {
			if count[k][h.Labels[k]] >= limits[k] {
				byLabel[k], ok = true, false
			}
		}
		if ok && down+h.down() > spare {
			byFloor, ok = true, false
		}
		if !ok {
			rest = append(rest, h)
			continue
		}
		b.Hosts = append(b.Hosts, h.Name)
		down += h.down()
		for k := range limits {
			if count[k] == nil {
				count[k] = map[string]int{}
			}
			count[k][h.Labels[k]]++
		}
	}
	for _, k := range sortedKeys(limits) {
		if byLabel[k] {
			why = append(why, fmt.Sprintf("max_per_label %s: %d keeps hosts of the same %s apart", k, limits[k], k))
		}
	}
	if byFloor {
		why = append(why, fmt.Sprintf("min_available leaves %d instances to take out at once", spare))
	}
	return b, rest, why
}

// ordered sorts hosts by the values of the labels in by, stably.
func ordered(hosts []Host, by []string) []Host {
	out := slices.Clone(hosts)
	slices.SortStableFunc(out, func(a, b Host) int {
		for _, k := range by {
			if c := cmp.Compare(a.Labels[k], b.Labels[k]); c != 0 {
				return c
			}
		}
		return 0
	})
	return out
}

// checkHosts refuses hosts the plan cannot be made of, with every reason.
func checkHosts(hosts []Host, s Strategy) error {
	if len(hosts) == 0 {
		return errors.New("no hosts to roll out to (check the inventory and --limit)")
	}
	if len(hosts) > MaxHosts {
		return fmt.Errorf("%d hosts, more than the %d one fleet rollout may have", len(hosts), MaxHosts)
	}
	var errs []error
	seen := make(map[string]bool, len(hosts))
	missing := map[string][]string{} // label → hosts without it
	for _, h := range hosts {
		switch {
		case h.Name == "":
			errs = append(errs, errors.New("a host has no name"))
			continue
		case seen[h.Name]:
			errs = append(errs, fmt.Errorf("host %s is listed twice", h.Name))
		}
		seen[h.Name] = true
		if h.Instances < 1 || h.Instances > MaxInstancesPerHost {
			errs = append(errs, fmt.Errorf("host %s: %d instances, want 1 to %d", h.Name, h.Instances, MaxInstancesPerHost))
		}
		if h.MaxDown < 0 {
			errs = append(errs, fmt.Errorf("host %s: takes %d instances out at once, which is negative", h.Name, h.MaxDown))
		}
		for _, k := range s.labels() {
			if _, ok := h.Labels[k]; !ok {
				missing[k] = append(missing[k], h.Name)
			}
		}
	}
	for _, k := range sortedKeys(missing) {
		names := missing[k]
		var uses []string
		if _, ok := s.MaxPerLabel[k]; ok {
			uses = append(uses, "max_per_label")
		}
		if slices.Contains(s.OrderBy, k) {
			uses = append(uses, "order_by")
		}
		errs = append(errs, fmt.Errorf("%s %s no label %s, which %s names: label every host (%s=...), or drop %s from the strategy",
			hostList(names), hasHave(len(names)), k, strings.Join(uses, " and "), k, k))
	}
	return errors.Join(errs...)
}

// hostList names hosts, at most a handful.
func hostList(names []string) string {
	const n = 5
	word := "host "
	if len(names) > 1 {
		word = "hosts "
	}
	if len(names) <= n {
		return word + strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s%s and %d more", word, strings.Join(names[:n], ", "), len(names)-n)
}

func hasHave(n int) string {
	if n == 1 {
		return "has"
	}
	return "have"
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
