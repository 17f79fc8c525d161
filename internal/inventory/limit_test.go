package inventory

import (
	"strings"
	"testing"
)

const limitINI = `
2001:db8::1

[web]
web01 sysroll_label_zone=a
web02 sysroll_label_zone=b
web03 sysroll_label_zone=a

[db]
db1 sysroll_label_zone=a
db2 sysroll_label_zone=b

[zone_a]
web01
web03
db1

[prod:children]
web
db
`

func TestLimit(t *testing.T) {
	inv, err := Parse("limit.ini", []byte(limitINI))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		pattern, want string // want: host names, or "error: SUBSTRING"
	}{
		{"all", "2001:db8::1 db1 db2 web01 web02 web03"},
		{"*", "2001:db8::1 db1 db2 web01 web02 web03"},
		{"web", "web01 web02 web03"},
		{"web01", "web01"},
		{"web01,db2", "db2 web01"},
		{"web01:db2", "db2 web01"},
		{"web:&zone_a", "web01 web03"},
		{"web:!web03", "web01 web02"},
		{"!web03:web", "web01 web02"}, // order does not matter, as in Ansible
		{"prod:&zone_a:!db1", "web01 web03"},
		{"&zone_a", "db1 web01 web03"}, // only & and !: from all
		{"!web", "2001:db8::1 db1 db2"},
		{"web*", "web01 web02 web03"},
		{"web0?", "web01 web02 web03"},
		{"db[12]", "db1 db2"},
		{"zone_*", "db1 web01 web03"}, // a glob matches group names too
		{"~web0[12]", "web01 web02"},
		{"~^db", "db1 db2"},
		{"~0[13]$", "web01 web03"},
		{"zone=b", "db2 web02"},
		{"group=db", "db1 db2"},
		{"web:&zone=b", "web02"},
		{" web01 , db1 ", "db1 web01"},
		{"2001:db8::1", "2001:db8::1"}, // one IPv6 host, not items split at ':'
		{"!2001:db8::1:&zone_a", "error: matches no host"},
		{"wbe", `error: --limit "wbe" matches no host or group; the inventory has 6 hosts (2001:db8::1, db1, db2, web01, web02, web03) and groups all, db, prod, ungrouped, web, zone_a`},
		{"web:!web3", `error: --limit "web:!web3": "web3" matches no host or group`},
		{"web:&db", `error: --limit "web:&db" selects no host; the inventory has 6 hosts`},
		{"web:!web", `error: selects no host`},
		{"", "error: --limit pattern is empty"},
		{",", "error: --limit pattern is empty"},
		{"web:!", `error: "!" is not followed by a host or group`},
		{"~web[", "error: is not a regular expression"},
		{"web[", "error: is not a valid glob"},
		{"zone=c", `error: "zone=c" matches no host`},
		{strings.Repeat("a", maxPatternLength+1), "error: more than the 4096 allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			got, err := inv.Limit(tt.pattern)
			if want, isErr := strings.CutPrefix(tt.want, "error: "); isErr {
				if err == nil {
					t.Fatalf("no error, selected %s", names(got))
				}
				if !strings.Contains(err.Error(), want) {
					t.Fatalf("error %q does not contain %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if names(got) != tt.want {
				t.Errorf("selected %s, want %s", names(got), tt.want)
			}
		})
	}
}

// Limit keeps the whole Host and the inventory's groups, and leaves the
// inventory it was called on alone.
func TestLimitKeepsHosts(t *testing.T) {
	inv, err := Parse("limit.ini", []byte(limitINI))
	if err != nil {
		t.Fatal(err)
	}
	got, err := inv.Limit("web02")
	if err != nil {
		t.Fatal(err)
	}
	h := got.Hosts[0]
	if h.Labels["zone"] != "b" || strings.Join(h.Groups, ",") != "prod,web" || h.Source != "limit.ini:6" {
		t.Errorf("host changed: %+v", h)
	}
	if len(got.Groups) != len(inv.Groups) || len(inv.Hosts) != 6 {
		t.Errorf("groups %v, original hosts %d", got.Groups, len(inv.Hosts))
	}
}

func names(inv *Inventory) string {
	if inv == nil {
		return "<nil>"
	}
	var out []string
	for _, h := range inv.Hosts {
		out = append(out, h.Name)
	}
	return strings.Join(out, " ")
}
