package plan_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/fleet/plan"
)

// fleet makes n hosts app01..appNN with 4 instances each, zones a, b, c in
// turn, and racks r1/r2 by halves.
func fleet(n int) []plan.Host {
	var hosts []plan.Host
	for i := range n {
		rack := "r1"
		if i >= n/2 {
			rack = "r2"
		}
		hosts = append(hosts, plan.Host{
			Name:      fmt.Sprintf("app%02d", i+1),
			Labels:    map[string]string{"zone": string(rune('a' + i%3)), "rack": rack},
			Instances: 4,
			MaxDown:   1,
		})
	}
	return hosts
}

func n(v int) plan.Size   { return plan.Size{N: v} }
func pct(v int) plan.Size { return plan.Size{Percent: v} }

// names renders batches compactly: "app01 app02 | app03".
func names(p *plan.Plan) string {
	var parts []string
	for _, b := range p.HostNames() {
		parts = append(parts, strings.Join(b, " "))
	}
	return strings.Join(parts, " | ")
}

func TestBatches(t *testing.T) {
	ten := fleet(10)
	tests := []struct {
		name  string
		hosts []plan.Host
		s     plan.Strategy
		want  string
	}{
		{"default: one host at a time", fleet(3), plan.Strategy{}, "app01 | app02 | app03"},
		{"batch count", fleet(5), plan.Strategy{Batch: n(2)}, "app01 app02 | app03 app04 | app05"},
		{"batch percentage rounds up", ten, plan.Strategy{Batch: pct(25)},
			"app01 app02 app03 | app04 app05 app06 | app07 app08 app09 | app10"},
		{"ramp 1, 25%, 100% on 10 hosts is 1, 3, 6", ten, plan.Strategy{Ramp: []plan.Size{n(1), pct(25), pct(100)}},
			"app01 | app02 app03 app04 | app05 app06 app07 app08 app09 app10"},
		{"ramp 1% rounds up to one host", ten, plan.Strategy{Ramp: []plan.Size{pct(1), pct(50)}},
			"app01 | app02 app03 app04 app05 app06 | app07 app08 app09 app10"},
		{"ramp 33% of 10 is 4", ten, plan.Strategy{Ramp: []plan.Size{pct(33)}},
			"app01 app02 app03 app04 | app05 app06 app07 app08 | app09 app10"},
		{"ramp last entry repeats", fleet(6), plan.Strategy{Ramp: []plan.Size{n(1), n(2)}},
			"app01 | app02 app03 | app04 app05 | app06"},
		{"ramp larger than the fleet", fleet(2), plan.Strategy{Ramp: []plan.Size{n(5)}}, "app01 app02"},
		{"max_parallel caps the ramp", ten, plan.Strategy{Ramp: []plan.Size{n(1), pct(100)}, MaxParallel: 4},
			"app01 | app02 app03 app04 app05 | app06 app07 app08 app09 | app10"},
		{"max_per_label zone 1: never two of a zone", ten, plan.Strategy{Batch: n(5), MaxPerLabel: map[string]int{"zone": 1}},
			"app01 app02 app03 | app04 app05 app06 | app07 app08 app09 | app10"},
		{"max_per_label zone 2", ten, plan.Strategy{Batch: pct(100), MaxPerLabel: map[string]int{"zone": 2}},
			"app01 app02 app03 app04 app05 app06 | app07 app08 app09 app10"},
		{"order_by zone: zone by zone", ten, plan.Strategy{Batch: n(4), OrderBy: []string{"zone"}},
			"app01 app04 app07 app10 | app02 app05 app08 app03 | app06 app09"},
		{"order_by zone with zone limit 1 interleaves in zone order", ten, plan.Strategy{Batch: n(3), OrderBy: []string{"zone"}, MaxPerLabel: map[string]int{"zone": 1}},
			"app01 app02 app03 | app04 app05 app06 | app07 app08 app09 | app10"},
		{"order_by zone then rack", fleet(6), plan.Strategy{Batch: n(2), OrderBy: []string{"zone", "rack"}},
			"app01 app04 | app02 app05 | app03 app06"},
		{"order_by rack then zone", fleet(6), plan.Strategy{Batch: n(2), OrderBy: []string{"rack", "zone"}},
			"app01 app02 | app03 app04 | app05 app06"},
		{"two limits at once", ten, plan.Strategy{Batch: n(10), MaxPerLabel: map[string]int{"zone": 1, "rack": 1}},
			"app01 app06 | app02 app07 | app03 app08 | app04 app09 | app05 app10"},
		{"min_available shrinks batches on a healthy fleet", ten, plan.Strategy{Batch: pct(100), MinAvailable: pct(90)},
			"app01 app02 app03 app04 | app05 app06 app07 app08 | app09 app10"},
		{"min_available as a count", ten, plan.Strategy{Batch: pct(100), MinAvailable: n(38)},
			"app01 app02 | app03 app04 | app05 app06 | app07 app08 | app09 app10"},
		{"min_available exactly at the floor lets one host go", ten, plan.Strategy{Batch: n(3), MinAvailable: n(39)},
			"app01 | app02 | app03 | app04 | app05 | app06 | app07 | app08 | app09 | app10"},
		{"min_available passes over a host that does not fit, takes one that does",
			[]plan.Host{{Name: "big", Instances: 4}, {Name: "big2", Instances: 4}, {Name: "small", Instances: 1}},
			plan.Strategy{Batch: n(2), MinAvailable: n(4)},
			"big small | big2"},
		{"MaxDown 0 means the whole host goes down",
			[]plan.Host{{Name: "big", Instances: 4}, {Name: "big2", Instances: 4}, {Name: "small", Instances: 1}},
			plan.Strategy{Batch: n(2), MinAvailable: n(5)},
			"big | big2 | small"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := plan.Batches(tt.hosts, tt.s)
			if err != nil {
				t.Fatalf("Batches: %v", err)
			}
			if got := names(p); got != tt.want {
				t.Errorf("batches\n got %s\nwant %s", got, tt.want)
			}
			// Every host exactly once, whatever the limits did.
			seen := map[string]int{}
			for _, b := range p.Batches {
				for _, h := range b.Hosts {
					seen[h]++
				}
			}
			for _, h := range tt.hosts {
				if seen[h.Name] != 1 {
					t.Errorf("host %s planned %d times", h.Name, seen[h.Name])
				}
			}
		})
	}
}

func TestBatchesNeverTwoOfAZone(t *testing.T) {
	hosts := fleet(10)
	for _, size := range []int{1, 2, 3, 5, 10} {
		p, err := plan.Batches(hosts, plan.Strategy{Batch: n(size), MaxPerLabel: map[string]int{"zone": 1}, OrderBy: []string{"rack"}})
		if err != nil {
			t.Fatal(err)
		}
		zone := map[string]string{}
		for _, h := range hosts {
			zone[h.Name] = h.Labels["zone"]
		}
		for i, b := range p.Batches {
			seen := map[string]bool{}
			for _, h := range b.Hosts {
				if seen[zone[h]] {
					t.Errorf("batch size %d: batch %d %v has two hosts of zone %s", size, i+1, b.Hosts, zone[h])
				}
				seen[zone[h]] = true
			}
			if len(b.Hosts) > size {
				t.Errorf("batch size %d: batch %d has %d hosts", size, i+1, len(b.Hosts))
			}
		}
	}
}

func TestBatchesNotes(t *testing.T) {
	p, err := plan.Batches(fleet(10), plan.Strategy{Batch: n(5), MaxPerLabel: map[string]int{"zone": 1}})
	if err != nil {
		t.Fatal(err)
	}
	b := p.Batches[0]
	if b.Size != 5 || len(b.Hosts) != 3 {
		t.Fatalf("first batch %+v, want 3 of 5 hosts", b)
	}
	if len(b.Notes) != 1 || !strings.Contains(b.Notes[0], "max_per_label zone: 1") {
		t.Errorf("notes %q, want one naming max_per_label zone: 1", b.Notes)
	}
	if last := p.Batches[len(p.Batches)-1]; len(last.Notes) != 0 {
		t.Errorf("the last batch is short only because no host is left, but has notes %q", last.Notes)
	}
	p, err = plan.Batches(fleet(10), plan.Strategy{Batch: pct(100), MinAvailable: pct(90)})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Batches[0].Notes; len(got) != 1 || !strings.Contains(got[0], "min_available leaves 4 instances") {
		t.Errorf("notes %q, want one naming min_available's 4 spare instances", got)
	}
	if p.Instances != 40 || p.MinAvailable != 36 {
		t.Errorf("plan counts %d instances, floor %d; want 40 and 36", p.Instances, p.MinAvailable)
	}
}

func TestBatchesDeterministic(t *testing.T) {
	s := plan.Strategy{Ramp: []plan.Size{n(1), pct(30)}, MaxPerLabel: map[string]int{"zone": 1, "rack": 2}, OrderBy: []string{"zone", "rack"}}
	first, err := plan.Batches(fleet(10), s)
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		again, err := plan.Batches(fleet(10), s)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(first, again) {
			t.Fatalf("plans differ:\n%s\n%s", names(first), names(again))
		}
	}
}

func TestBatchesRefused(t *testing.T) {
	noZone := fleet(4)
	delete(noZone[1].Labels, "zone")
	delete(noZone[3].Labels, "zone")
	tests := []struct {
		name  string
		hosts []plan.Host
		s     plan.Strategy
		want  []string
	}{
		{"no hosts", nil, plan.Strategy{}, []string{"no hosts to roll out to", "--limit"}},
		{"host listed twice", []plan.Host{{Name: "a", Instances: 1}, {Name: "a", Instances: 1}}, plan.Strategy{}, []string{"host a is listed twice"}},
		{"nameless host", []plan.Host{{Instances: 1}}, plan.Strategy{}, []string{"a host has no name"}},
		{"no instances", []plan.Host{{Name: "a"}}, plan.Strategy{}, []string{"host a: 0 instances"}},
		{"max_per_label names a label hosts lack", noZone, plan.Strategy{MaxPerLabel: map[string]int{"zone": 1}},
			[]string{"hosts app02, app04 have no label zone, which max_per_label names", "label every host (zone=...)"}},
		{"order_by names a label hosts lack", noZone, plan.Strategy{OrderBy: []string{"zone"}, MaxPerLabel: map[string]int{"zone": 1}},
			[]string{"which max_per_label and order_by names"}},
		{"min_available above the fleet", fleet(2), plan.Strategy{MinAvailable: n(9)},
			[]string{"min_available 9 is more than the 8 instances of the 2 hosts"}},
		{"min_available no host fits", []plan.Host{{Name: "a", Instances: 4}, {Name: "b", Instances: 4}}, plan.Strategy{MinAvailable: pct(75)},
			[]string{"host a alone takes 4 instances out at once, leaving 4 of 8 serving, below min_available 75% (6)", "rollout.batch"}},
		{"min_available 100%", fleet(3), plan.Strategy{MinAvailable: pct(100)},
			[]string{"host app01 alone takes 1 instances out at once, leaving 11 of 12 serving, below min_available 100% (12)"}},
		{"failure budget tolerates every host", fleet(3), plan.Strategy{FailureBudget: 3},
			[]string{"failure_budget 3 would tolerate every one of the 3 hosts failing"}},
		{"invalid strategy", fleet(3), plan.Strategy{Batch: n(1), Ramp: []plan.Size{n(1)}, FailureAction: "explode"},
			[]string{"host strategy: batch: set batch or ramp, not both", `failure_action: "explode"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := plan.Batches(tt.hosts, tt.s)
			if err == nil {
				t.Fatalf("Batches = %s, want an error", names(p))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}
