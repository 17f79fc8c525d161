package unitfile

import (
	"errors"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/config"
)

// Raw unit:/service: settings that re-create the pitfalls `sysroll lint`
// reports in hand-written units are refused at render, each pointing at the
// service file field that wrote the line.
func TestRenderLintsDirectives(t *testing.T) {
	tests := []struct {
		name string
		yaml string // appended to a valid service file
		want []string
	}{
		{"Requires= another instance", "unit: {Requires: hello@8082.service}\n",
			[]string{"svc.yaml:5:", "unit.Requires:", "Requires=hello@8082.service", "restarts each instance of hello@.service in the same transaction", "instance-dependency"}},
		{"BindsTo= an instance", "unit: {BindsTo: hello@8081.service}\n",
			[]string{"unit.BindsTo:", "is stopped whenever hello@8081.service stops or crashes"}},
		{"Conflicts= another instance", "unit: {Conflicts: hello@8082.service}\n",
			[]string{"unit.Conflicts:", "starting either one stops the other"}},
		{"Upholds= another instance", "unit: {Upholds: hello@8082.service}\n",
			[]string{"unit.Upholds:", "a rollout cannot stop it"}},
		{"PropagatesStopTo= another instance", "unit: {PropagatesStopTo: hello@8082.service}\n",
			[]string{"unit.PropagatesStopTo:", "takes the other down"}},
		{"Wants=network.target", "unit: {Wants: network.target}\n",
			[]string{"unit.Wants:", "network-target"}},
		{"After= a simple instance", "type: simple\nunit: {After: hello@8081.service}\n",
			[]string{"unit.After:", "Active is not ready", "active-not-ready"}},
		{"list: the second value", "unit: {Requires: [postgresql.service, hello@8082.service]}\n",
			[]string{"unit.Requires:", "Requires=hello@8082.service"}},
		// The same names written with specifiers systemd expands (they
		// were let through).
		{"Requires=%p@ another instance", "unit: {Requires: \"%p@8082.service\"}\n",
			[]string{"unit.Requires:", "Requires=hello@8082.service", "instance-dependency"}},
		{"BindsTo=%N an instance", "unit: {BindsTo: \"%N8081.service\"}\n",
			[]string{"unit.BindsTo:", "hello@8081.service"}},
		{"Requires=%i itself", "unit: {Requires: \"%p@%i.service\"}\n", nil},
		{"Requires= another service", "unit: {Requires: postgresql.service, After: postgresql.service}\n", nil},
		{"After= an instance of a notify service", "unit: {After: hello@8081.service}\n", nil},
	}
	base := "name: hello\ncommand: \"{release}/hello --port {port}\"\ninstances: [8081, 8082]\n# the extra settings:\n"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, err := config.Parse("svc.yaml", []byte(base+tt.yaml))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			_, err = Render(svc, Paths{})
			if tt.want == nil {
				if err != nil {
					t.Errorf("Render: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Render succeeded, want an error with %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if _, ok := errors.AsType[*config.FieldError](err); !ok {
				t.Errorf("error is not a *config.FieldError: %v", err)
			}
		})
	}
}

// The files the project ships as good render without a lint finding.
func TestGoodFilesRenderClean(t *testing.T) {
	for _, p := range []string{"../config/testdata/good/hello.yaml", "../config/testdata/good/minimal.yaml", "../config/testdata/good/relaxed.yaml", "../config/testdata/good/socket.yaml"} {
		svc, err := config.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Render(svc, Paths{}); err != nil && !strings.Contains(err.Error(), "dynamic user") {
			t.Errorf("%s: %v", p, err)
		}
	}
}
