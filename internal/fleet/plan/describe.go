package plan

import (
	"fmt"
	"strings"
)

// Describe renders the plan for `--dry-run`: one line per host batch,
// saying why a batch is smaller than asked.
func (p *Plan) Describe() string {
	var b strings.Builder
	hosts := 0
	for _, batch := range p.Batches {
		hosts += len(batch.Hosts)
	}
	fmt.Fprintf(&b, "%d host %s over %d %s (%d instances)", len(p.Batches), "batch"+esPlural(len(p.Batches)), hosts, plural(hosts, "host"), p.Instances)
	if p.MinAvailable > 0 {
		fmt.Fprintf(&b, "; min_available: %d instances must keep serving", p.MinAvailable)
	}
	b.WriteString("\n")
	for i, batch := range p.Batches {
		size := fmt.Sprintf("%d %s", len(batch.Hosts), plural(len(batch.Hosts), "host"))
		if len(batch.Notes) > 0 {
			size = fmt.Sprintf("%d of %d hosts", len(batch.Hosts), batch.Size)
		}
		fmt.Fprintf(&b, "  batch %d (%s): %s\n", i+1, size, strings.Join(batch.Hosts, ", "))
		for _, n := range batch.Notes {
			fmt.Fprintf(&b, "    smaller: %s\n", n)
		}
	}
	return b.String()
}

// esPlural completes "batch" to "batches".
func esPlural(n int) string {
	if n == 1 {
		return ""
	}
	return "es"
}
