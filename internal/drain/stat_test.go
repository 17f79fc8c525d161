package drain

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestParseStatCaptured(t *testing.T) {
	type row struct {
		backend, name, status string
		scur                  int
		inTraffic             bool
	}
	tests := []struct {
		file string
		want []row
	}{
		{"stat_hello.csv", []row{
			{"hello", "s1", "UP", 0, true},
			{"hello", "s2", "DOWN", 0, false},
			{"hello", "s3", "no check", 0, true},
		}},
		{"stat_drain_busy.csv", []row{
			{"hello", "s1", "UP", 0, true},
			{"hello", "s2", "DRAIN", 1, false},
			{"hello", "s3", "MAINT", 0, false},
		}},
		{"stat_going_down.csv", []row{
			{"slow", "a", "UP", 0, true},
			{"slow", "b", "UP", 0, true},
			{"slow", "c", "UP 1/3", 0, false},
		}},
		{"stat_going_up.csv", []row{
			{"slow", "a", "UP", 0, true},
			{"slow", "b", "UP", 0, true},
			{"slow", "c", "DOWN 1/3", 0, false},
		}},
		{"stat_after_maint.csv", []row{
			{"slow", "a", "UP 1/3", 0, false},
			{"slow", "b", "UP 1/3", 0, false},
			{"slow", "c", "DOWN", 0, false},
		}},
		{"stat_mixed.csv", []row{
			{"hello", "s1", "DOWN", 0, false},
			{"hello", "s2", "DOWN", 0, false},
			{"hello", "s3", "no check", 0, true},
			{"slow", "a", "MAINT", 0, false},
			{"slow", "b", "MAINT (via slow/a)", 0, false},
			{"slow", "c", "DOWN", 0, false},
		}},
		{"stat_queue.csv", []row{
			{"queue", "q1", "UP", 1, true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			stats, err := parseStat(cleanResponse(string(b)))
			if err != nil {
				t.Fatal(err)
			}
			var got []row
			for _, s := range stats {
				got = append(got, row{s.Backend, s.Name, s.Status, s.Sessions, s.InTraffic()})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestParseStatCheckFields(t *testing.T) {
	b, err := os.ReadFile("testdata/stat_hello.csv")
	if err != nil {
		t.Fatal(err)
	}
	stats, err := parseStat(string(b))
	if err != nil {
		t.Fatal(err)
	}
	down := stats[1]
	if down.CheckStatus != "L4CON" || down.CheckDesc != "Layer4 connection problem" || down.Addr != "127.0.0.1:18292" {
		t.Errorf("check fields of s2 = %q %q %q", down.CheckStatus, down.CheckDesc, down.Addr)
	}
	if got := down.describe(); got != `status "DOWN", last check L4CON Layer4 connection problem` {
		t.Errorf("describe = %q", got)
	}
}

func TestParseStatBad(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"error text", "No such proxy.", "no CSV header"},
		{"no status column", "# pxname,svname,scur\nhello,s1,0\n", `no "status" column`},
		{"bad scur", "# pxname,svname,qcur,scur,status\nhello,s1,0,x,UP\n", "scur"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseStat(tt.text)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseStatHeaderOnly(t *testing.T) {
	// `show stat fe 4 -1` for a frontend-only proxy: header, no rows.
	stats, err := parseStat("# pxname,svname,qcur,qmax,scur,status\n")
	if err != nil || len(stats) != 0 {
		t.Errorf("stats, err = %v, %v; want none, nil", stats, err)
	}
}

func TestParseBackends(t *testing.T) {
	b, err := os.ReadFile("testdata/show_backend.txt")
	if err != nil {
		t.Fatal(err)
	}
	if got := parseBackends(string(b)); !reflect.DeepEqual(got, []string{"hello", "slow"}) {
		t.Errorf("backends = %q", got)
	}
}

func TestCleanResponse(t *testing.T) {
	tests := []struct{ in, want string }{
		{"No such server.\n\n", "No such server."},
		{"[3]: No such server.\n\n", "No such server."},
		{"\n", ""},
		{"admin\n\n", "admin"},
	}
	for _, tt := range tests {
		if got := cleanResponse(tt.in); got != tt.want {
			t.Errorf("cleanResponse(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
