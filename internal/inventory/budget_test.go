package inventory

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// allocated is the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// The largest inputs of each format stay within a memory budget: the
// bounds are there so that no inventory, however hostile, costs more.
func TestBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates large inputs")
	}
	const budget = 256 << 20
	bigJSON := func() string { // MaxFileSize of names in one list, stopped by maxJSONNames
		var b strings.Builder
		b.WriteString(`{"g": {"hosts": [`)
		for b.Len() < MaxFileSize-100 {
			b.WriteString(`"a",`)
		}
		b.WriteString(`"a"]}}`)
		return b.String()
	}
	hostvars := func() string { // MaxHosts hosts, each with ignored and read vars
		var b strings.Builder
		b.WriteString(`{"_meta": {"hostvars": {`)
		for i := range MaxHosts {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"h%05d": {"ansible_host": "10.0.%d.%d", "ec2": {"tags": [1, 2, {"x": "%s"}]}, "sysroll_labels": {"zone": "a"}}`, i, i/250, i%250, strings.Repeat("y", 2000))
		}
		b.WriteString("}}}")
		return b.String()
	}
	iniLines := func() string { // MaxLines host lines with read vars
		var b strings.Builder
		for i := range MaxLines - 1 {
			fmt.Fprintf(&b, "h%05d ansible_user=u sysroll_label_zone=z%d ignored=%d\n", i%MaxHosts, i, i)
		}
		return b.String()
	}
	yamlMax := func() string { return yamlGroupsOf(MaxHosts) }
	for _, tt := range []struct {
		name string
		data func() string
	}{
		{"json names", bigJSON},
		{"json hostvars", hostvars},
		{"ini lines", iniLines},
		{"yaml hosts", yamlMax},
		{"yaml tokens", func() string { return yamlTokens(MaxYAMLTokens) }},
	} {
		data := []byte(tt.data())
		var err error
		n := allocated(func() { _, err = Parse("f", data) })
		t.Logf("%s: %d KiB in, %d MiB allocated, err=%v", tt.name, len(data)>>10, n>>20, err != nil)
		if n > budget {
			t.Errorf("%s: allocated %d MiB, more than the %d MiB budget", tt.name, n>>20, budget>>20)
		}
	}
}

// yamlGroupsOf is n hosts with two variables each, in groups of 1000.
func yamlGroupsOf(n int) string {
	var b strings.Builder
	b.WriteString("all:\n  children:\n")
	for i := range n {
		if i%1000 == 0 {
			fmt.Fprintf(&b, "    g%d:\n      hosts:\n", i/1000)
		}
		fmt.Fprintf(&b, "        h%05d: {ansible_host: 10.0.%d.%d, ansible_user: deploy}\n", i, i/250, i%250)
	}
	return b.String()
}
