package inventory

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/safeio"
)

// Each bound holds at its value and refuses one past it, naming the file,
// the line and the limit.
func TestBounds(t *testing.T) {
	hostsINI := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "h%05d\n", i)
		}
		return b.String()
	}
	nativeList := func(n int) string {
		var b strings.Builder
		b.WriteString("hosts:\n")
		for i := range n {
			fmt.Fprintf(&b, "  - {name: h%05d}\n", i)
		}
		return b.String()
	}
	yamlGroups := func(n int) string { // n hosts in groups of 1000
		var b strings.Builder
		b.WriteString("all:\n  children:\n")
		for i := range n {
			if i%1000 == 0 {
				fmt.Fprintf(&b, "    g%d:\n      hosts:\n", i/1000)
			}
			fmt.Fprintf(&b, "        h%05d:\n", i)
		}
		return b.String()
	}
	jsonHosts := func(n int) string {
		var b strings.Builder
		b.WriteString(`{"all": {"hosts": [`)
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"h%05d"`, i)
		}
		b.WriteString("]}}")
		return b.String()
	}
	tests := []struct {
		name, data, want string // want "" means it parses
	}{
		{"ini at MaxHosts", hostsINI(MaxHosts), ""},
		{"ini past MaxHosts", hostsINI(MaxHosts + 1), "f:10001: more than 10000 hosts"},
		{"range at MaxHosts", "web[1:10000]\n", ""},
		{"range past MaxHosts", "web[0:10000]\n", "f:1: host pattern \"web[0:10000]\" expands to more than 10000 hosts"},
		{"ranges multiply", "web[1:100]-[1:101]\n", "expands to more than 10000 hosts"},
		{"range with the rest past MaxHosts", "a\nweb[1:10000]\n", "f:2: more than 10000 hosts (1 so far, 10000 more here)"},
		{"too many ranges", "w" + strings.Repeat("[1:1]", maxRanges+1) + "\n", "more than 8 ranges"},
		{"native at MaxHosts", nativeList(MaxHosts), ""},
		{"native past MaxHosts", nativeList(MaxHosts + 1), "f:10002:3: more than 10000 items in one list: an inventory has at most 10000 hosts"},
		{"yaml groups at MaxHosts", yamlGroups(MaxHosts), ""},
		{"yaml groups past MaxHosts", yamlGroups(MaxHosts + 1), "more than 10000 hosts"},
		{"json at MaxHosts", jsonHosts(MaxHosts), ""},
		{"json past MaxHosts", jsonHosts(MaxHosts + 1), "more than 10000 hosts"},
		{"host name length", strings.Repeat("a", MaxNameLength+1) + "\n", "more than the 253 a host name may have"},
		{"group name length", "[" + strings.Repeat("g", MaxGroupLength+1) + "]\n", "more than the 128 a group name may have"},
		{"line length", "a" + strings.Repeat(" ", MaxLineLength) + "\n", "f:1: line is 65537 bytes long, more than the 65536 allowed"},
		{"labels", "hosts: [{name: a, labels: {" + labels(MaxLabels+1) + "}}]", "has 65 labels, more than the 64 allowed"},
		{"label length", "hosts: [{name: a, labels: {k: " + strings.Repeat("v", MaxLabelLength+1) + "}}]", "at most 128 bytes each"},
		{"instances", "a sysroll_instances=" + instances(MaxInstances+1) + "\n", "1001 instances, more than the 1000 allowed"},
		{"yaml depth", strings.Repeat("- ", MaxYAMLDepth+1) + "x\n", "YAML nesting deeper than 32 levels"},
		{"yaml tokens", yamlTokens(MaxYAMLTokens), "more than 200000 YAML tokens"},
		{"yaml keys", yamlKeys(MaxYAMLEntries + 1), "f:2004:5: more than 2000 keys in one mapping: split the hosts into groups"},
		{"yaml keys at the limit", yamlKeys(MaxYAMLEntries), ""},
		{"lines", strings.Repeat("#\n", MaxLines) + "h\n", "f:200001: more than 200000 lines"},
		{"group depth at the limit", chain(MaxGroupDepth), ""},
		{"group depth", chain(MaxGroupDepth + 1), "host h is in groups nested 65 deep through children, more than the 64 allowed"},
		{"groups of a host", inGroups(MaxHostGroups + 1), "host h is in 1001 groups, more than the 1000 allowed"},
		{"variables", "h" + strings.Repeat(" sysroll_label_k=v", 1) + varsLine(maxVars+1) + "\n", "f:1: more than 256 sysroll_ and connection variables in one place"},
		{"ignored variables are not kept", "h" + strings.Repeat(" x=1", 1) + ignoredLine(5000) + "\n", ""},
		{"json names", `{"a": {"hosts": ["h"], "children": [` + strings.Repeat(`"a",`, maxJSONNames) + `"a"]}}`, "more than 200000 names in the hosts and children lists"},
		{"json deep ignored value", `{"a": {"hosts": ["h"], "vars": {"x": ` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "}}}", ""},
		{"json too deep for encoding/json", `{"a": {"hosts": ["h"], "vars": {"x": ` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + "}}}", "f:1:38: not valid JSON in this value: invalid character '[' exceeded max depth"},
		{"json long kept value", `{"a": {"hosts": ["h"], "vars": {"sysroll_instances": [` + strings.Repeat("1,", MaxInstances) + "1]}}}", "f:1:54: more than 1000 items in one value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := Parse("f", []byte(tt.data))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(inv.Hosts) == 0 {
					t.Fatal("no hosts")
				}
				return
			}
			if err == nil {
				t.Fatalf("parsed %d hosts, want error %q", len(inv.Hosts), tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "f:") {
				t.Fatalf("error %q does not name f: and contain %q", clip(err.Error()), tt.want)
			}
		})
	}
}

// yamlTokens is an Ansible YAML inventory of about n tokens.
func yamlTokens(n int) string {
	var b strings.Builder
	b.WriteString("all:\n  hosts: {a: }\n  vars:\n")
	for i := 0; i < n/2000+1; i++ {
		fmt.Fprintf(&b, "    x%d: [%s1]\n", i, strings.Repeat("1,", 999))
	}
	return b.String()
}

// yamlKeys is n hosts in one hosts: mapping.
func yamlKeys(n int) string {
	var b strings.Builder
	b.WriteString("all:\n  vars: {}\n  hosts:\n")
	for i := range n {
		fmt.Fprintf(&b, "    h%d:\n", i)
	}
	return b.String()
}

// chain is host h in a group nested n deep: g1 is a child of g0, ...
func chain(n int) string {
	var b strings.Builder
	for i := range n - 1 {
		fmt.Fprintf(&b, "[g%d:children]\ng%d\n", i, i+1)
	}
	fmt.Fprintf(&b, "[g%d]\nh\n", n-1)
	return b.String()
}

// inGroups is host h in n groups.
func inGroups(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "[g%d]\nh\n", i)
	}
	return b.String()
}

func varsLine(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, " sysroll_label_k%d=v", i)
	}
	return b.String()
}

func ignoredLine(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, " x%d=1", i)
	}
	return b.String()
}

func labels(n int) string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("k%d: v", i))
	}
	return strings.Join(out, ", ")
}

func instances(n int) string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprint(8000+i))
	}
	return strings.Join(out, ",")
}

// ReadFile reads through safeio: bounded, regular files only.
func TestReadFileBounds(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.ini")
	if err := os.WriteFile(big, []byte(strings.Repeat("#\n", MaxFileSize/2+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(big); !errors.Is(err, safeio.ErrTooLarge) {
		t.Errorf("ReadFile of a file past MaxFileSize: %v, want ErrTooLarge", err)
	}
	if _, err := ReadFile(dir); !errors.Is(err, safeio.ErrNotRegular) {
		t.Errorf("ReadFile of a directory: %v, want ErrNotRegular", err)
	}
	if _, err := Parse("f", make([]byte, MaxFileSize+1)); err == nil || !strings.Contains(err.Error(), "more than the 32 MiB") {
		t.Errorf("Parse of MaxFileSize+1 bytes: %v", err)
	}
}
