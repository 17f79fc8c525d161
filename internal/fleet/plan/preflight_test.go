package plan_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/fleet/plan"
)

// healthy reports n hosts app01..appNN, 4 instances each, all serving.
func healthy(n int) []plan.HostState {
	var out []plan.HostState
	for i := range n {
		out = append(out, plan.HostState{Name: fmt.Sprintf("app%02d", i+1), Reachable: true, Instances: 4, Serving: 4})
	}
	return out
}

// with applies changes to a copy of hosts.
func with(hosts []plan.HostState, change func(h []plan.HostState)) []plan.HostState {
	out := make([]plan.HostState, len(hosts))
	copy(out, hosts)
	change(out)
	return out
}

func TestPreflight(t *testing.T) {
	one := map[string]int{"app01": 1, "app02": 1, "app03": 1}
	tests := []struct {
		name    string
		c       plan.Check
		wantGo  bool
		wantCap plan.Capacity
		want    []string // substrings of the refusals (or notes when it goes)
	}{
		{name: "all healthy, one instance at a time",
			c:      plan.Check{FleetID: "f1", Batch: []string{"app01"}, Hosts: healthy(10), MaxDown: one},
			wantGo: true, wantCap: plan.Capacity{Total: 40, Serving: 40, Lost: 1, Floor: 39}},
		{name: "all healthy, whole host down at once (no MaxDown)",
			c:      plan.Check{FleetID: "f1", Batch: []string{"app01", "app02"}, Hosts: healthy(10)},
			wantGo: true, wantCap: plan.Capacity{Total: 40, Serving: 40, Lost: 8, Floor: 32}},
		{name: "one unhealthy instance on an untouched host refuses by default",
			c: plan.Check{FleetID: "f1", Batch: []string{"app01"}, MaxDown: one,
				Hosts: with(healthy(10), func(h []plan.HostState) { h[5].Serving = 3 })},
			wantCap: plan.Capacity{Total: 40, Serving: 39, Lost: 1, Floor: 39},
			want:    []string{"capacity: 39 of 40 instances serve now; this batch may take 1 of them out at once, leaving 38, below the floor of 39", "every instance outside the batch must serve"}},
		{name: "min_available tolerates it",
			c: plan.Check{FleetID: "f1", Batch: []string{"app01"}, MaxDown: one, Strategy: plan.Strategy{MinAvailable: pct(75)},
				Hosts: with(healthy(10), func(h []plan.HostState) { h[5].Serving = 3 })},
			wantGo: true, wantCap: plan.Capacity{Total: 40, Serving: 39, Lost: 1, Floor: 30}},
		{name: "min_available exactly at the floor goes",
			c: plan.Check{FleetID: "f1", Batch: []string{"app01", "app02"}, MaxDown: one, Strategy: plan.Strategy{MinAvailable: n(30)},
				Hosts: with(healthy(10), func(h []plan.HostState) { h[5].Serving, h[6].Serving = 0, 0 })},
			wantGo: true, wantCap: plan.Capacity{Total: 40, Serving: 32, Lost: 2, Floor: 30}},
		{name: "min_available one below the floor refuses",
			c: plan.Check{FleetID: "f1", Batch: []string{"app01", "app02"}, MaxDown: one, Strategy: plan.Strategy{MinAvailable: n(31)},
				Hosts: with(healthy(10), func(h []plan.HostState) { h[5].Serving, h[6].Serving = 0, 0 })},
			wantCap: plan.Capacity{Total: 40, Serving: 32, Lost: 2, Floor: 31},
			want:    []string{"leaving 30, below the floor of 31 (min_available 31)", "lower min_available"}},
		{name: "min_available percentage rounds up",
			c: plan.Check{FleetID: "f1", Batch: []string{"app01"}, Strategy: plan.Strategy{MinAvailable: pct(51)},
				Hosts: []plan.HostState{{Name: "app01", Reachable: true, Instances: 2, Serving: 2}, {Name: "app02", Reachable: true, Instances: 1, Serving: 1}}},
			wantCap: plan.Capacity{Total: 3, Serving: 3, Lost: 2, Floor: 2},
			want:    []string{"leaving 1, below the floor of 2"}},
		{name: "unreachable host outside the batch refuses and counts as down",
			c: plan.Check{FleetID: "f1", Batch: []string{"app01"}, MaxDown: one, Strategy: plan.Strategy{MinAvailable: pct(50)},
				Hosts: with(healthy(3), func(h []plan.HostState) { h[2].Reachable, h[2].Why = false, "connection refused" })},
			wantCap: plan.Capacity{Total: 12, Serving: 8, Lost: 1, Floor: 6},
			want:    []string{"host app03 is unreachable (connection refused): its 4 instances count as down", "--skip-unreachable"}},
		{name: "skipped unreachable host goes but counts as down",
			c: plan.Check{FleetID: "f1", Batch: []string{"app01"}, MaxDown: one, Strategy: plan.Strategy{MinAvailable: pct(50)},
				Hosts: with(healthy(3), func(h []plan.HostState) { h[2].Reachable, h[2].Skipped = false, true })},
			wantGo: true, wantCap: plan.Capacity{Total: 12, Serving: 8, Lost: 1, Floor: 6},
			want: []string{"host app03 is skipped (--skip-unreachable): its 4 instances count as down"}},
		{name: "skipped host: the default floor leaves it out",
			c: plan.Check{FleetID: "f1", Batch: []string{"app01"}, MaxDown: one,
				Hosts: with(healthy(3), func(h []plan.HostState) { h[2].Reachable, h[2].Skipped = false, true })},
			wantGo: true, wantCap: plan.Capacity{Total: 12, Serving: 8, Lost: 1, Floor: 7}},
		{name: "skipped host and an unhealthy instance elsewhere: refused",
			c: plan.Check{FleetID: "f1", Batch: []string{"app01"}, MaxDown: one,
				Hosts: with(healthy(3), func(h []plan.HostState) { h[2].Reachable, h[2].Skipped = false, true; h[1].Serving = 3 })},
			wantCap: plan.Capacity{Total: 12, Serving: 7, Lost: 1, Floor: 7},
			want:    []string{"leaving 6, below the floor of 7"}},
		{name: "skipped host counts as down for min_available",
			c: plan.Check{FleetID: "f1", Batch: []string{"app01"}, MaxDown: one, Strategy: plan.Strategy{MinAvailable: pct(75)},
				Hosts: with(healthy(3), func(h []plan.HostState) { h[2].Reachable, h[2].Skipped = false, true })},
			wantCap: plan.Capacity{Total: 12, Serving: 8, Lost: 1, Floor: 9},
			want:    []string{"8 of 12 instances serve now; this batch may take 1 of them out at once, leaving 7, below the floor of 9 (min_available 75%)"}},
		{name: "unreachable host in the batch refuses",
			c: plan.Check{FleetID: "f1", Batch: []string{"app02"},
				Hosts: with(healthy(3), func(h []plan.HostState) { h[1].Reachable = false })},
			wantCap: plan.Capacity{Total: 12, Serving: 8, Lost: 0, Floor: 8},
			want:    []string{"host app02 is unreachable: its 4 instances count as down"}},
		{name: "host of the batch without a report refuses",
			c:       plan.Check{FleetID: "f1", Batch: []string{"app09"}, Hosts: healthy(2)},
			wantCap: plan.Capacity{Total: 8, Serving: 8, Floor: 8},
			want:    []string{"host app09 of the batch has no report", "unknown is never taken as fine"}},
		{name: "pending undrain refuses",
			c: plan.Check{FleetID: "f1", Batch: []string{"app01"}, MaxDown: one, Strategy: plan.Strategy{MinAvailable: pct(50)},
				Hosts: with(healthy(3), func(h []plan.HostState) { h[1].PendingUndrain, h[1].Serving = []string{"8081", "8082"}, 2 })},
			wantCap: plan.Capacity{Total: 12, Serving: 10, Lost: 1, Floor: 6},
			want:    []string{"host app02 has instances 8081, 8082 left out of traffic by an earlier step (undrain pending): return them to the load balancer first"}},
		{name: "claim by another fleet rollout refuses",
			c: plan.Check{FleetID: "f1", Batch: []string{"app01"}, MaxDown: one,
				Hosts: with(healthy(3), func(h []plan.HostState) {
					h[2].Claims = []plan.Claim{{FleetID: "f1"}, {FleetID: "f0", Owner: "ops@laptop"}}
				})},
			wantCap: plan.Capacity{Total: 12, Serving: 12, Lost: 1, Floor: 11},
			want:    []string{"host app03 is claimed by fleet rollout f0 (started by ops@laptop), which has not finished: its controller ended or is gone (silent 0s)", "`fleet deploy FILE --resume`"}},
		{name: "claim of a running controller refuses, naming it",
			c: plan.Check{FleetID: "f1", Batch: []string{"app01"}, MaxDown: one,
				Hosts: with(healthy(3), func(h []plan.HostState) {
					h[2].Claims = []plan.Claim{{FleetID: "f0", Owner: "ops@laptop", Live: true, Silent: 4 * time.Second}}
				})},
			wantCap: plan.Capacity{Total: 12, Serving: 12, Lost: 1, Floor: 11},
			want:    []string{"host app03 is claimed by fleet rollout f0 (started by ops@laptop), which has not finished: its controller is running (heard of 4s ago)", "--resume --take-over"}},
		{name: "own claim does not block",
			c: plan.Check{FleetID: "f1", Batch: []string{"app01"}, MaxDown: one,
				Hosts: with(healthy(3), func(h []plan.HostState) { h[0].Claims = []plan.Claim{{FleetID: "f1"}} })},
			wantGo: true, wantCap: plan.Capacity{Total: 12, Serving: 12, Lost: 1, Floor: 11}},
		{name: "entirely down: repair goes on",
			c: plan.Check{FleetID: "f1", Batch: []string{"app01"}, Strategy: plan.Strategy{MinAvailable: pct(75)},
				Hosts: with(healthy(3), func(h []plan.HostState) { h[0].Serving, h[1].Serving, h[2].Serving = 0, 0, 0 })},
			wantGo: true, wantCap: plan.Capacity{Total: 12, Serving: 0, Lost: 0, Floor: 9},
			want: []string{"only 0 of 12 instances serve, below the floor of 9: the batch takes no serving instance out"}},
		{name: "below the floor, the batch's hosts are down: repair goes on",
			c: plan.Check{FleetID: "f1", Batch: []string{"app01"},
				Hosts: with(healthy(3), func(h []plan.HostState) { h[0].Serving, h[1].Serving = 0, 2 })},
			wantGo: true, wantCap: plan.Capacity{Total: 12, Serving: 6, Lost: 0, Floor: 8}},
		{name: "below the floor, the batch serves: refused",
			c: plan.Check{FleetID: "f1", Batch: []string{"app01"},
				Hosts: with(healthy(3), func(h []plan.HostState) { h[0].Serving, h[1].Serving = 1, 0 })},
			wantCap: plan.Capacity{Total: 12, Serving: 5, Lost: 1, Floor: 8},
			want:    []string{"leaving 4, below the floor of 8"}},
		{name: "report that does not add up",
			c: plan.Check{FleetID: "f1", Batch: []string{"app01"},
				Hosts: with(healthy(2), func(h []plan.HostState) { h[1].Serving = 5 })},
			wantCap: plan.Capacity{Total: 4, Serving: 4, Lost: 4, Floor: 0},
			want:    []string{"host app02 reports 5 of 4 instances serving, which cannot be"}},
		{name: "host reported twice",
			c:       plan.Check{FleetID: "f1", Batch: []string{"app01"}, Hosts: append(healthy(2), healthy(1)...)},
			wantCap: plan.Capacity{Total: 12, Serving: 12, Lost: 4, Floor: 8},
			want:    []string{"host app01 is reported twice"}},
		{name: "empty batch",
			c:       plan.Check{FleetID: "f1", Hosts: healthy(2)},
			wantCap: plan.Capacity{Total: 8, Serving: 8, Floor: 8},
			want:    []string{"the host batch is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := plan.Preflight(tt.c)
			if v.Go != tt.wantGo {
				t.Errorf("Go = %v, want %v; refusals %q", v.Go, tt.wantGo, v.Refusals)
			}
			if v.Go != (len(v.Refusals) == 0) {
				t.Errorf("Go = %v with refusals %q", v.Go, v.Refusals)
			}
			if v.Capacity != tt.wantCap {
				t.Errorf("capacity %+v, want %+v", v.Capacity, tt.wantCap)
			}
			text := strings.Join(v.Refusals, "\n")
			if tt.wantGo {
				text = strings.Join(v.Notes, "\n")
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("reasons\n%s\nlack %q", text, w)
				}
			}
		})
	}
}

func TestCapacityAllows(t *testing.T) {
	tests := []struct {
		c    plan.Capacity
		want bool
	}{
		{plan.Capacity{Total: 10, Serving: 10, Lost: 2, Floor: 8}, true},  // exactly at the floor
		{plan.Capacity{Total: 10, Serving: 10, Lost: 3, Floor: 8}, false}, // one below
		{plan.Capacity{Total: 10, Serving: 0, Lost: 0, Floor: 8}, true},   // all down: repair
		{plan.Capacity{Total: 10, Serving: 5, Lost: 0, Floor: 8}, true},   // below, costs nothing
		{plan.Capacity{Total: 10, Serving: 5, Lost: 1, Floor: 8}, false},  // below, costs one
		{plan.Capacity{Total: 10, Serving: 10, Lost: 10, Floor: 0}, true}, // no floor
	}
	for _, tt := range tests {
		if got := tt.c.Allows(); got != tt.want {
			t.Errorf("%+v.Allows() = %v, want %v", tt.c, got, tt.want)
		}
	}
}
