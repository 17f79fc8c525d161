package adopt

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/config"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func guide(t *testing.T) []Unit {
	t.Helper()
	var us []Unit
	for _, n := range []string{"my-service-1.service", "my-service-2.service", "my-service-group.service"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			t.Fatal(err)
		}
		us = append(us, Unit{Path: "/etc/systemd/system/" + n, Data: b})
	}
	return us
}

// The guide's three files: the golden proposal, and it is a valid service file.
func TestProposeGuide(t *testing.T) {
	p, err := Propose(guide(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "my-service" || p.Command != "{release}/my-binary --port={port}" || p.Type != config.TypeExec ||
		p.StopTimeout != 10*time.Second || p.RestartDelay != 2*time.Second || p.Binary != "/path/to/my-binary" {
		t.Errorf("proposal = %+v", p)
	}
	if len(p.Instances) != 2 || p.Instances[0].Port != 8081 || p.Instances[1].Port != 8082 {
		t.Errorf("instances = %+v", p.Instances)
	}
	if len(p.Skipped) != 1 || p.Skipped[0].Unit != "my-service-group.service" || !strings.Contains(p.Skipped[0].Reason, "no ExecStart") {
		t.Errorf("skipped = %+v", p.Skipped)
	}
	if !slices.ContainsFunc(p.Notes, func(n string) bool {
		return strings.Contains(n, "RestartSec=2  # Delay") && strings.Contains(n, "taken as 2s")
	}) {
		t.Errorf("no note on the inline comment: %q", p.Notes)
	}
	got := p.ServiceFile()
	golden := filepath.Join("testdata", "guide.yaml.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("service file:\n%s\nwant (%s):\n%s", got, golden, want)
	}
	svc, err := config.Parse("proposal.yaml", []byte(got))
	if err != nil {
		t.Fatalf("the proposal does not load: %v", err)
	}
	if err := svc.Validate(); err != nil {
		t.Fatalf("the proposal is not valid: %v", err)
	}
	order, err := Order(p.Instances)
	if err != nil {
		t.Fatal(err)
	}
	if order[0].Unit != "my-service-2.service" {
		t.Errorf("order = %+v: my-service-2 Requires= my-service-1, so it must be cut over first", order)
	}
}

func unitText(port int, extra string) string {
	return "[Unit]\nDescription=App " + itoa(port) + "\n[Service]\nExecStart=/opt/app/bin/app --listen=127.0.0.1:" + itoa(port) + " --v\n" + extra
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestPropose(t *testing.T) {
	two := func(a, b string) []Unit {
		return []Unit{{Path: "/etc/systemd/system/app-a.service", Data: []byte(unitText(9001, a))},
			{Path: "/etc/systemd/system/app-b.service", Data: []byte(unitText(9002, b))}}
	}
	tests := []struct {
		name    string
		units   []Unit
		opts    Options
		check   func(t *testing.T, p *Proposal)
		refused string
	}{
		{name: "notify and env with the port", units: two("Type=notify\nEnvironment=PORT=9001 MODE=prod\nEnvironmentFile=-/etc/app/9001.env\nUser=app\nWorkingDirectory=/srv/app\n",
			"Type=notify\nEnvironment=PORT=9002 MODE=prod\nEnvironmentFile=-/etc/app/9002.env\nUser=app\nWorkingDirectory=/srv/app\n"),
			check: func(t *testing.T, p *Proposal) {
				if p.Type != config.TypeNotify || p.Environment["PORT"] != "{port}" || p.Environment["MODE"] != "prod" ||
					!slices.Equal(p.EnvironmentFiles, []string{"-/etc/app/{port}.env"}) || p.User != "app" || p.WorkingDirectory != "/srv/app" ||
					p.Command != "{release}/app --listen=127.0.0.1:{port} --v" || p.Name != "app" {
					t.Errorf("%+v", p)
				}
			}},
		{name: "name flag", units: two("", ""), opts: Options{Name: "web"}, check: func(t *testing.T, p *Proposal) {
			if p.Name != "web" {
				t.Errorf("name %q", p.Name)
			}
		}},
		{name: "different env refused", units: two("Environment=MODE=a\n", "Environment=MODE=b\n"), refused: "different Environment="},
		{name: "forking refused", units: two("Type=forking\n", "Type=forking\n"), refused: "Type=forking"},
		{name: "different binaries refused", units: []Unit{{Path: "/x/a-1.service", Data: []byte("[Service]\nExecStart=/bin/a --port=1\n")},
			{Path: "/x/a-2.service", Data: []byte("[Service]\nExecStart=/bin/b --port=2\n")}}, refused: "one program"},
		{name: "no port refused", units: []Unit{{Path: "/x/a-1.service", Data: []byte("[Service]\nExecStart=/bin/a --mode=x\n")},
			{Path: "/x/a-2.service", Data: []byte("[Service]\nExecStart=/bin/a --mode=y\n")}}, refused: "not in one port number"},
		{name: "same command refused", units: []Unit{{Path: "/x/a-1.service", Data: []byte("[Service]\nExecStart=/bin/a\n")},
			{Path: "/x/a-2.service", Data: []byte("[Service]\nExecStart=/bin/a\n")}}, refused: "no argument differs"},
		{name: "one unit refused", units: []Unit{{Path: "/x/a-1.service", Data: []byte("[Service]\nExecStart=/bin/a --port=1\n")}}, refused: "at least two"},
		{name: "relative binary refused", units: two("", "ExecStart=\nExecStart=app --listen=127.0.0.1:9002 --v\n"), refused: "not an absolute path"},
		{name: "two ports per unit refused", units: []Unit{{Path: "/x/a-1.service", Data: []byte("[Service]\nExecStart=/bin/a --port=1 --admin=11\n")},
			{Path: "/x/a-2.service", Data: []byte("[Service]\nExecStart=/bin/a --port=2 --admin=12\n")}}, refused: "more than one argument"},
		{name: "unmapped key noted", units: two("LimitNOFILE=4096\n", "LimitNOFILE=4096\n"), check: func(t *testing.T, p *Proposal) {
			if !slices.ContainsFunc(p.Notes, func(n string) bool { return strings.Contains(n, "LimitNOFILE=4096 is not carried over") }) {
				t.Errorf("notes %q", p.Notes)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Propose(tt.units, tt.opts)
			if tt.refused != "" {
				var re *RefusedError
				if !errors.As(err, &re) || !strings.Contains(err.Error(), tt.refused) {
					t.Fatalf("err = %v, want a refusal with %q", err, tt.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, p)
		})
	}
}

func TestOrderCycle(t *testing.T) {
	_, err := Order([]Instance{{Port: 1, Unit: "a.service", Requires: []string{"b.service"}}, {Port: 2, Unit: "b.service", Requires: []string{"a.service"}}})
	if err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("err = %v", err)
	}
}
