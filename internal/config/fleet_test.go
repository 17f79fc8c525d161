package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/fleet/plan"
	"github.com/sysroll/sysroll/internal/inventory"
)

const fleetHead = "name: hello\ncommand: \"/bin/hello --port {port}\"\ninstances: [8081, 8082]\n"

// hosts: and fleet: decode into the inventory and the strategy, with
// defaults merged and nothing else of the service changed.
func TestFleetDecodes(t *testing.T) {
	tests := []struct {
		name, src string
		hosts     string // "name@address:port user [instances]; ..." sorted by name, or "none"
		strategy  plan.Strategy
		inventory string // InventoryPath
	}{
		{"list", fleetHead + "hosts:\n  - {name: app2, address: 10.0.0.12, port: 2222}\n  - {name: app1, instances: [9090]}\n",
			"app1@app1:0  [9090]; app2@10.0.0.12:2222  []", plan.Strategy{}, ""},
		{"defaults", fleetHead + "hosts:\n  defaults: {user: deploy}\n  hosts: [{name: a}, {name: b, user: root}]\n",
			"a@a:0 deploy []; b@b:0 root []", plan.Strategy{}, ""},
		{"strategy", fleetHead + "hosts: [{name: a}]\nfleet:\n  hosts:\n    ramp: [1, \"50%\"]\n    max_parallel: 3\n    failure_action: halt\n    reattach_deadline: 2m\n",
			"a@a:0  []", plan.Strategy{Ramp: []plan.Size{{N: 1}, {Percent: 50}}, MaxParallel: 3, FailureAction: ActionHalt, ReattachDeadline: 2 * time.Minute}, ""},
		{"inventory file", fleetHead + "fleet: {inventory: hosts.ini, hosts: {batch: \"25%\"}}\n",
			"none", plan.Strategy{Batch: plan.Size{Percent: 25}}, "etc/hosts.ini"},
		{"absolute inventory", fleetHead + "fleet: {inventory: /srv/hosts.ini}\n", "none", plan.Strategy{}, "/srv/hosts.ini"},
		{"null keys", fleetHead + "hosts:\nfleet:\n", "none", plan.Strategy{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, err := Parse("etc/hello.yaml", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			got := "none"
			if inv := svc.Hosts.Inventory; inv != nil {
				var hs []string
				for _, h := range inv.Hosts {
					hs = append(hs, h.Name+"@"+h.Address+":"+strconv.Itoa(h.Port)+" "+h.User+" ["+strings.Join(h.Instances, ",")+"]")
				}
				got = strings.Join(hs, "; ")
			}
			if got != tt.hosts {
				t.Errorf("hosts %q, want %q", got, tt.hosts)
			}
			st := svc.Fleet.Hosts.Strategy
			if st.Batch != tt.strategy.Batch || !slices.Equal(st.Ramp, tt.strategy.Ramp) || st.MaxParallel != tt.strategy.MaxParallel ||
				st.FailureAction != tt.strategy.FailureAction || st.ReattachDeadline != tt.strategy.ReattachDeadline {
				t.Errorf("strategy %+v, want %+v", st, tt.strategy)
			}
			if p := svc.InventoryPath(); p != tt.inventory {
				t.Errorf("InventoryPath %q, want %q", p, tt.inventory)
			}
			if svc.Name != "hello" || len(svc.InstanceNames()) != 2 {
				t.Errorf("the service itself changed: %+v", svc)
			}
		})
	}
}

// Every problem of hosts: and fleet: is reported at once, at this file's
// line and column, with the field when the reader knows it.
func TestFleetErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"a path in hosts:", fleetHead + "hosts: inventory.ini\n",
			[]string{`svc.yaml:4:8: hosts: is inline only (a list of hosts, or defaults: and hosts:); for an inventory file write fleet: {inventory: "inventory.ini"}`}},
		{"a number in hosts:", fleetHead + "hosts: 3\n",
			[]string{`svc.yaml:4:8: hosts: must be a list of hosts or a mapping of defaults: and hosts:, got a number`}},
		{"inventory and strategy errors together", fleetHead + "hosts:\n  - name: app1\n    adress: x\nfleet:\n  hosts: {batch: 0, max_paralel: 2}\n",
			[]string{
				`svc.yaml:6:5: unknown key "adress" in hosts[0]; did you mean address?`,
				`svc.yaml:8:18: fleet.hosts.batch: 0 must be a count of hosts between 1 and 10000`,
				`svc.yaml:8:21: fleet.hosts: unknown key "max_paralel" in fleet.hosts (did you mean max_parallel?)`,
			}},
		{"with the service's own errors", "name: Bad\ncommand: /bin/x\ninstances: [8081]\nfleet: {invntory: x, hosts: {failure_action: retry}}\n",
			[]string{
				`svc.yaml:4:9: unknown key "invntory" in fleet (did you mean inventory?)`,
				`svc.yaml:4:46: fleet.hosts.failure_action: "retry": want rollback, rollback-all or halt`,
			}},
		{"a host's instances against {port}", fleetHead + "hosts:\n  - {name: app1, instances: [a, b]}\n  - {name: app2, instances: [9090]}\n",
			[]string{`svc.yaml:5:29: hosts[0].instances: host "app1": its instances [a, b] are not ports, but command uses {port}: list ports`}},
		{"the defaults' instances against {port}", fleetHead + "hosts:\n  defaults: {instances: {count: 2}}\n  hosts:\n    - name: app1\n",
			[]string{`svc.yaml:5:25: hosts.defaults.instances: host "app1": its instances [1, 2] are not ports, but command uses {port}`}},
		{"{port} in the environment", "name: hello\ncommand: /bin/x\ninstances: [8081]\nenvironment: {PORT: \"{port}\", ADDR: \":{port}\", Z: \"{port}\"}\nhosts: [{name: a, instances: [web]}]\n",
			[]string{`svc.yaml:5:30: hosts[0].instances: host "a": its instances [web] are not ports, but environment.ADDR uses {port}`}},
		{"hosts and fleet.inventory", fleetHead + "hosts: [{name: a}]\nfleet: {inventory: hosts.ini}\n",
			[]string{`svc.yaml:5:20: fleet.inventory: hosts: already lists the hosts: keep hosts: or fleet.inventory, not both`}},
		{"a directory", fleetHead + "fleet: {inventory: inv/}\n",
			[]string{`svc.yaml:4:20: fleet.inventory: "inv/" is a directory: name the inventory file`}},
		{"a duplicate host", fleetHead + "hosts: [{name: a}, {name: a}]\n",
			[]string{`svc.yaml:4:20: host a is listed twice (also at line 4)`}},
		{"batch and ramp", fleetHead + "fleet: {hosts: {batch: 1, ramp: [1]}}\n",
			[]string{`svc.yaml:4:24: fleet.hosts.batch: set batch or ramp, not both`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, err := Parse("svc.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("no error; hosts %+v", svc.Hosts.Inventory)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("missing %q in:\n%v", want, err)
				}
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("errors.As(*FieldError) failed on %T", err)
			}
		})
	}
}

// A service without {port} takes hosts whose instances are names.
func TestFleetNamesWithoutPort(t *testing.T) {
	src := "name: hello\ncommand: /bin/x {instance}\ninstances: [a]\nhosts: [{name: h1, instances: [b, c]}]\n"
	if _, err := Parse("svc.yaml", []byte(src)); err != nil {
		t.Fatal(err)
	}
}

// CheckHosts applies the same rule to an inventory from a file, naming the
// host's own line there.
func TestCheckHosts(t *testing.T) {
	svc, err := Parse("etc/hello.yaml", []byte(fleetHead+"fleet: {inventory: hosts.ini}\n"))
	if err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Parse("etc/hosts.ini", []byte("[web]\napp1 sysroll_instances=8081,8082\napp2 sysroll_instances=a,b\napp3\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = svc.CheckHosts(inv)
	want := `etc/hello.yaml:4:20: fleet.inventory: host "app2": its instances [a, b] are not ports, but command uses {port}: list ports (instances: [8081, 8082]) or use {count: N, first_port: P} (the host is defined at etc/hosts.ini:3)`
	if err == nil || err.Error() != want {
		t.Errorf("CheckHosts = %v\nwant %s", err, want)
	}
	ok, err := inventory.Parse("etc/hosts.ini", []byte("[web]\napp1\napp2 sysroll_instances=9090\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.CheckHosts(ok); err != nil {
		t.Errorf("CheckHosts of port hosts = %v", err)
	}
}

// A fleet's file run through a single-host command says the fleet part is
// not applied; a plain service file says nothing of it.
func TestFleetIgnoredWarning(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{fleetHead + "hosts: [{name: a}, {name: b}, {name: c}]\n", "svc.yaml:4:8: hosts: " + FleetIgnored + " (3 hosts), but this command acts on this machine only"},
		{fleetHead + "fleet: {inventory: hosts.ini}\n", "svc.yaml:4:8: fleet: " + FleetIgnored + " (an inventory file (fleet.inventory))"},
		{fleetHead + "fleet: {hosts: {batch: 2}}\n", "svc.yaml:4:8: fleet: " + FleetIgnored},
		{fleetHead, ""},
	} {
		svc, err := Parse("svc.yaml", []byte(tt.src))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, w := range svc.Warnings() {
			if strings.Contains(w.Msg, FleetIgnored) {
				got = append(got, w.Error())
			}
		}
		switch {
		case tt.want == "" && len(got) > 0:
			t.Errorf("warnings %q for a service without a fleet", got)
		case tt.want != "" && (len(got) != 1 || !strings.HasPrefix(got[0], tt.want)):
			t.Errorf("warnings %q, want one starting %q", got, tt.want)
		}
	}
}

// The schema's fleet.hosts keys are the strategy's, and its host keys
// those inventory reads.
func TestSchemaFleetKeys(t *testing.T) {
	var doc struct {
		Properties struct {
			Fleet struct {
				Properties struct {
					Hosts struct {
						Properties map[string]any `json:"properties"`
					} `json:"hosts"`
				} `json:"properties"`
			} `json:"fleet"`
		} `json:"properties"`
		Defs struct {
			HostFields struct {
				Properties map[string]any `json:"properties"`
			} `json:"hostFields"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(Schema(), &doc); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	want := plan.StrategyKeys()
	slices.Sort(want)
	if got := keys(doc.Properties.Fleet.Properties.Hosts.Properties); !slices.Equal(got, want) {
		t.Errorf("schema fleet.hosts keys %v, strategy keys %v", got, want)
	}
	hostKeys := inventory.HostKeys()
	slices.Sort(hostKeys)
	if got := keys(doc.Defs.HostFields.Properties); !slices.Equal(got, hostKeys) {
		t.Errorf("schema host keys %v, want %v", got, hostKeys)
	}
}

// hosts: is bounded by the service file's shape limits, like every key: a
// few hundred hosts inline parse, a thousand are refused with a pointer to
// an inventory file (whose own bound is inventory.MaxHosts).
func TestFleetHostsWithinShapeLimits(t *testing.T) {
	hosts := func(n int) []byte {
		var b strings.Builder
		b.WriteString(fleetHead + "hosts:\n")
		for i := range n {
			fmt.Fprintf(&b, "  - {name: app%d, address: 10.0.%d.%d, labels: {zone: z%d}}\n", i, i/250, i%250+1, i%3)
		}
		return []byte(b.String())
	}
	svc, err := Parse("svc.yaml", hosts(400))
	if err != nil {
		t.Fatalf("400 hosts: %v", err)
	}
	if n := len(svc.Hosts.Inventory.Hosts); n != 400 {
		t.Errorf("%d hosts, want 400", n)
	}
	_, err = Parse("svc.yaml", hosts(1000))
	if err == nil || !strings.Contains(err.Error(), "YAML tokens") || !strings.Contains(err.Error(), "fleet: {inventory: FILE}") {
		t.Errorf("1000 hosts inline: %v, want the token limit and the pointer to fleet.inventory", err)
	}
}
