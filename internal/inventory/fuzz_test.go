package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/yamlpos"
)

// FuzzParse: no input panics, every error is a positioned *Error naming the
// file, and every inventory returned is valid (sorted, unique, bounded, and
// each host passes the same checks a parsed one does).
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*")
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil && !strings.HasSuffix(s, ".golden") && len(data) < 1<<16 {
			f.Add(data)
		}
	}
	for _, bomb := range []string{
		strings.Repeat("[", 200),
		strings.Repeat("{a: ", 200),
		strings.Repeat("- ", 200),
		"w[0:9][0:9][0:9][0:9][0:9]\n",
		"[a:children]\na\n",
		"[a:children]\nb\n[b:children]\na\n",
		`{"a": {"children": ["a"]}}`,
		`{"_meta": {"hostvars": {"h": {"sysroll_labels": {"zone": {"x": 1}}}}}}`,
		"all:\n  hosts:\n    'h[1:3]:22':\n      sysroll_instances: [1, 1]\n",
		"hosts: [{name: a, instances: {count: 1000, first_port: 65000}}]",
		"h ansible_ssh_common_args='-J'\n",
		"all:\n  children:\n    a: &a\n      children: {b: *a, c: *a}\n",
		"all:\n  vars: &v {<<: *v}\n",
		"all:\n  hosts:\n    h: &h {<<: [*h, *h]}\n",
		"h ansible_ssh_common_args='-o ProxyCommand=\"ssh -W %h:%p\"'\n",
	} {
		f.Add([]byte(bomb))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := Parse("fuzz", data)
		if err != nil {
			if inv != nil {
				t.Fatal("an Inventory came back with an error")
			}
			checkErrors(t, err)
			return
		}
		checkInventory(t, inv)
		if len(inv.Hosts) > 0 {
			// A name selects the host, and the group of that name if there
			// is one (as in Ansible), so only the host itself is certain.
			first := inv.Hosts[0].Name
			if got, err := inv.Limit(first); err != nil || !slices.ContainsFunc(got.Hosts, func(h Host) bool { return h.Name == first }) {
				t.Fatalf("--limit %s did not select it: %v", first, err)
			}
			if got, err := inv.Limit("all:!" + first); err == nil && slices.ContainsFunc(got.Hosts, func(h Host) bool { return h.Name == first }) {
				t.Fatalf("all:!%s kept it", first)
			}
		}
	})
}

// FuzzLimit: no pattern panics on a fixed inventory; a selection is a
// subset, in order.
func FuzzLimit(f *testing.F) {
	inv, err := Parse("limit.ini", []byte(limitINI))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range []string{"web", "web:&zone_a:!web03", "~web0[12]", "web*", "zone=a", "a,b,,", "[:]", "~(", "!&", "&!web"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		got, err := inv.Limit(pattern)
		if err != nil {
			if got != nil {
				t.Fatal("an Inventory came back with an error")
			}
			return
		}
		if len(got.Hosts) == 0 {
			t.Fatal("an empty selection without an error")
		}
		i := 0
		for _, h := range got.Hosts {
			for i < len(inv.Hosts) && inv.Hosts[i].Name != h.Name {
				i++
			}
			if i == len(inv.Hosts) {
				t.Fatalf("%s is not a host of the inventory, in order", h.Name)
			}
		}
	})
}

func checkErrors(t *testing.T, err error) {
	t.Helper()
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	if len(list) == 0 || len(list) > maxErrors+1 {
		t.Fatalf("%d errors", len(list))
	}
	for i, e := range list {
		var ie *Error
		if !errors.As(e, &ie) {
			if i == maxErrors && strings.HasPrefix(e.Error(), "... and ") {
				continue
			}
			t.Fatalf("not an *Error: %T %v", e, e)
		}
		if ie.File != "fuzz" || ie.Msg == "" || len(ie.Msg) > yamlpos.MaxMsgLen+len("…") {
			t.Fatalf("bad error %#v", ie)
		}
	}
}

func checkInventory(t *testing.T, inv *Inventory) {
	t.Helper()
	if len(inv.Hosts) > MaxHosts || len(inv.Groups) > MaxGroups+2 {
		t.Fatalf("%d hosts, %d groups", len(inv.Hosts), len(inv.Groups))
	}
	if !slices.IsSortedFunc(inv.Hosts, func(a, b Host) int { return strings.Compare(a.Name, b.Name) }) {
		t.Fatal("hosts not sorted")
	}
	e := &errs{file: "fuzz"}
	for i, h := range inv.Hosts {
		if i > 0 && inv.Hosts[i-1].Name == h.Name {
			t.Fatalf("host %q twice", h.Name)
		}
		if h.Address == "" || !strings.HasPrefix(h.Source, "fuzz:") || slices.Contains(h.Groups, "all") {
			t.Fatalf("host %+v", h)
		}
		checkHost(e, pos{}, &h)
	}
	if e.failed() {
		t.Fatalf("an invalid host was returned: %v", e.join())
	}
}
