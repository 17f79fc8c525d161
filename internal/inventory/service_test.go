package inventory

import (
	"strings"
	"testing"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// hostsNode finds the hosts: value of a service file the way config would
// hand it over: the node of the top-level key.
func hostsNode(t *testing.T, src string) ast.Node {
	t.Helper()
	f, err := parser.ParseBytes([]byte(src), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range f.Docs[0].Body.(*ast.MappingNode).Values {
		if kv.Key.String() == "hosts" {
			return kv.Value
		}
	}
	t.Fatal("no hosts: key")
	return nil
}

func TestDecodeHosts(t *testing.T) {
	tests := []struct {
		name, src, want string // want: rendered hosts, or "error: SUBSTRING"
	}{
		{"list", `name: hello
instances: [8081, 8082]
hosts:
  - {name: app1, address: 10.0.0.11, labels: {zone: a}}
  - {name: app2, address: 10.0.0.12, instances: [8081]}
`, "app1@10.0.0.11 zone=a -; app2@10.0.0.12  8081"},
		{"defaults", `name: hello
hosts:
  defaults: {user: deploy, labels: {zone: a}}
  hosts:
    - {name: app1}
    - {name: app2, labels: {zone: b}}
`, "app1@app1 zone=a -; app2@app2 zone=b -"},
		{"null", "name: hello\nhosts:\n", ""},
		{"positions are the service file's", `name: hello
command: x
hosts:
  - name: app1
    adress: 10.0.0.11
`, "error: hello.yaml:5:5: unknown key \"adress\" in hosts[0]; did you mean address?"},
		{"a string", "name: hello\nhosts: inventory.ini\n", "error: hello.yaml:2:8: hosts: must be a list of hosts or a mapping of defaults: and hosts:, got a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := DecodeHosts("hello.yaml", hostsNode(t, tt.src))
			if want, isErr := strings.CutPrefix(tt.want, "error: "); isErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("error %v, want %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range inv.Hosts {
				inst := "-"
				if h.Instances != nil {
					inst = strings.Join(h.Instances, ",")
				}
				label := ""
				if z, ok := h.Labels["zone"]; ok {
					label = "zone=" + z
				}
				got = append(got, h.Name+"@"+h.Address+" "+label+" "+inst)
			}
			if s := strings.Join(got, "; "); s != tt.want {
				t.Errorf("got %q, want %q", s, tt.want)
			}
		})
	}
}

// The format is detected from the content, and can be forced.
func TestFormats(t *testing.T) {
	tests := []struct {
		data string
		f    Format
		want string // first host, or "error: SUBSTRING"
	}{
		{"web1\n", FormatAuto, "web1"},
		{"# c\n[web]\nweb1\n", FormatAuto, "web1"},
		{"[::1]:22\n", FormatAuto, "::1"},
		{"host:2222 a=b\n", FormatAuto, "host"}, // an INI host line, not YAML
		{"host:2222\n", FormatAuto, "host"},
		{"all:\n  hosts: {w1: }\n", FormatAuto, "w1"},
		{"---\nhosts:\n  - name: n1\n", FormatAuto, "n1"},
		{"\xef\xbb\xbf{\"all\": {\"hosts\": [\"j1\"]}}", FormatAuto, "j1"},
		{"all:\n  hosts: {w1: }\n", FormatNative, "error: unknown key \"all\""},
		{"hosts:\n  - name: n1\n", FormatYAML, "error: f:2:3: group hosts must be a mapping"},
		{"web1\n", FormatJSON, "error: not valid JSON"},
		{"web1\n", Format("toml"), "error: unknown inventory format \"toml\""},
		{"", FormatAuto, ""},
		{"# only a comment\n", FormatAuto, ""},
	}
	for _, tt := range tests {
		inv, err := ParseFormat("f", []byte(tt.data), tt.f)
		if want, isErr := strings.CutPrefix(tt.want, "error: "); isErr {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%q as %q: error %v, want %q", tt.data, tt.f, err, want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q as %q: %v", tt.data, tt.f, err)
			continue
		}
		got := ""
		if len(inv.Hosts) > 0 {
			got = inv.Hosts[0].Name
		}
		if got != tt.want {
			t.Errorf("%q as %q: first host %q, want %q", tt.data, tt.f, got, tt.want)
		}
	}
}

func TestPortInstances(t *testing.T) {
	for _, tt := range []struct {
		inst []string
		want bool
	}{{nil, true}, {[]string{"8081", "8082"}, true}, {[]string{"8081", "web-1"}, false}, {[]string{"0"}, false}} {
		if got := (Host{Instances: tt.inst}).PortInstances(); got != tt.want {
			t.Errorf("%v: %v, want %v", tt.inst, got, tt.want)
		}
	}
}

func TestSameMachine(t *testing.T) {
	inv, err := Parse("f", []byte("web1 ansible_host=10.0.0.1\ndb1 ansible_host=10.0.0.1\nweb2 ansible_host=10.0.0.1 ansible_port=2222\n"))
	if err != nil {
		t.Fatal(err) // an Ansible inventory may name one machine twice
	}
	want := "hosts db1 and web1 are one machine (address 10.0.0.1): a rollout would roll it twice; keep one name"
	if err := inv.SameMachine(); err == nil || err.Error() != want {
		t.Errorf("SameMachine: %v, want %q", err, want)
	}
	sel, err := inv.Limit("web*")
	if err != nil {
		t.Fatal(err)
	}
	if err := sel.SameMachine(); err != nil {
		t.Errorf("web1 and web2 differ by port: %v", err)
	}
}

func TestHostLookup(t *testing.T) {
	inv, err := Parse("f", []byte("b\na\nc ansible_port=2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if h, ok := inv.Host("c"); !ok || h.Port != 2 {
		t.Errorf("Host(c) = %+v, %v", h, ok)
	}
	if _, ok := inv.Host("d"); ok {
		t.Error("Host(d) found")
	}
}

// {count: N} without first_port names instances 1..N, which are not ports
// (as in the service file), though they are digits; with first_port, or
// as a list, they are.
func TestCountedInstancesAreNotPorts(t *testing.T) {
	for _, tt := range []struct {
		instances string
		ports     bool
	}{
		{"{count: 2}", false},
		{"{count: 2, first_port: 8081}", true},
		{"[1, 2]", true},
		{"[web]", false},
	} {
		inv, err := DecodeHosts("hello.yaml", hostsNode(t, "name: hello\nhosts:\n  defaults: {instances: "+tt.instances+"}\n  hosts: [{name: a}, {name: b, instances: [9090]}]\n"))
		if err != nil {
			t.Fatal(err)
		}
		a, _ := inv.Host("a")
		b, _ := inv.Host("b")
		if a.PortInstances() != tt.ports {
			t.Errorf("instances %s: PortInstances %v, want %v", tt.instances, a.PortInstances(), tt.ports)
		}
		if !b.PortInstances() {
			t.Errorf("instances %s in defaults: host b's own [9090] are not ports", tt.instances)
		}
	}
}
