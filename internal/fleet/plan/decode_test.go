package plan_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/sysroll/sysroll/internal/fleet/plan"
)

func TestParseStrategy(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want plan.Strategy
	}{
		{"empty is the default", "", plan.Strategy{}},
		{"null is the default", "~\n", plan.Strategy{}},
		{"batch count", "batch: 2\n", plan.Strategy{Batch: n(2)}},
		{"batch percentage", "batch: \"25%\"\n", plan.Strategy{Batch: pct(25)}},
		{"everything", `
ramp: [1, "25%", "100%"]
max_parallel: 3
max_per_label: {zone: 1, rack: 2}
order_by: [zone, rack]
failure_budget: 1
failure_action: rollback-all
min_available: "75%"
reattach_deadline: 90s
`, plan.Strategy{Ramp: []plan.Size{n(1), pct(25), pct(100)}, MaxParallel: 3, MaxPerLabel: map[string]int{"zone": 1, "rack": 2},
			OrderBy: []string{"zone", "rack"}, FailureBudget: 1, FailureAction: plan.ActionRollbackAll, MinAvailable: pct(75),
			ReattachDeadline: 90 * time.Second}},
		{"order_by a single label", "order_by: zone\n", plan.Strategy{OrderBy: []string{"zone"}}},
		{"lease", "lease: 45s\n", plan.Strategy{Lease: 45 * time.Second}},
		{"min_available count", "min_available: 30\n", plan.Strategy{MinAvailable: n(30)}},
		{"block style", "ramp:\n  - 1\n  - 50%\nmax_per_label:\n  zone: 1\n", plan.Strategy{Ramp: []plan.Size{n(1), pct(50)}, MaxPerLabel: map[string]int{"zone": 1}}},
		{"null value keeps the default", "max_parallel:\n", plan.Strategy{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := plan.ParseStrategy("svc.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatalf("ParseStrategy: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// fieldErrors returns the *plan.FieldError of a joined error.
func fieldErrors(t *testing.T, err error) []*plan.FieldError {
	t.Helper()
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	var out []*plan.FieldError
	for _, e := range list {
		var fe *plan.FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("error %q is not a *plan.FieldError", e)
		}
		out = append(out, fe)
	}
	return out
}

func TestParseStrategyErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // "line:col field: msg" substrings, one per error, in order
	}{
		{"not a mapping", "[1, 2]\n", []string{"svc.yaml:1:1: fleet.hosts: expected a mapping"}},
		{"unknown key with a suggestion", "max_paralel: 2\n", []string{`svc.yaml:1:1: fleet.hosts: unknown key "max_paralel" in fleet.hosts (did you mean max_parallel?)`}},
		{"unknown key without one", "zzz: 2\n", []string{"(known keys: batch, ramp,"}},
		{"batch zero", "batch: 0\n", []string{"svc.yaml:1:8: fleet.hosts.batch: 0 must be a count of hosts between 1 and 10000"}},
		{"batch bad percentage", "batch: \"150%\"\n", []string{"1:8: fleet.hosts.batch: percentage 150% must be a whole number between 1% and 100%"}},
		{"batch a float", "batch: 1.5\n", []string{"fleet.hosts.batch: expected a count of hosts (2) or a percentage"}},
		{"batch and ramp", "batch: 2\nramp: [1]\n", []string{"svc.yaml:1:8: fleet.hosts.batch: set batch or ramp, not both"}},
		{"ramp not a list", "ramp: 2\n", []string{"1:7: fleet.hosts.ramp: expected a list"}},
		{"ramp empty", "ramp: []\n", []string{"fleet.hosts.ramp: empty"}},
		{"ramp bad entry, position of the entry", "ramp: [1, \"0%\", x]\n", []string{
			"svc.yaml:1:11: fleet.hosts.ramp[1]: percentage 0%",
			"svc.yaml:1:17: fleet.hosts.ramp[2]: x must be a count of hosts"}},
		{"max_parallel zero", "max_parallel: 0\n", []string{"1:15: fleet.hosts.max_parallel: 0 must be between 1 and 10000"}},
		{"max_parallel string", "max_parallel: two\n", []string{"fleet.hosts.max_parallel: expected a whole number between 1 and 10000, got a string"}},
		{"max_per_label zero", "max_per_label: {zone: 0}\n", []string{"1:23: fleet.hosts.max_per_label.zone: 0 must be between 1 and 10000"}},
		{"max_per_label bad label, reported by Validate at its node", "max_per_label: {\"a b\": 1}\n", []string{`svc.yaml:1:16: fleet.hosts.max_per_label: label "a b": use letters`}},
		{"max_per_label a list", "max_per_label: [zone]\n", []string{"fleet.hosts.max_per_label: expected a mapping of label to host count"}},
		{"order_by twice", "order_by: [zone, zone]\n", []string{"svc.yaml:1:18: fleet.hosts.order_by[1]: label zone is listed twice"}},
		{"order_by not a label", "order_by: [1]\n", []string{"fleet.hosts.order_by[0]: expected a label name, got an integer"}},
		{"failure_action unknown", "failure_action: explode\n", []string{`svc.yaml:1:17: fleet.hosts.failure_action: "explode": want rollback, rollback-all or halt`}},
		{"failure_action a number", "failure_action: 1\n", []string{"fleet.hosts.failure_action: expected rollback, rollback-all or halt, got an integer"}},
		{"failure_budget negative", "failure_budget: -1\n", []string{"fleet.hosts.failure_budget: -1 must be between 0 and 10000"}},
		{"min_available zero", "min_available: 0\n", []string{"fleet.hosts.min_available: 0 must be a count of instances between 1 and 10000000"}},
		{"reattach_deadline without a unit", "reattach_deadline: 10\n", []string{"fleet.hosts.reattach_deadline: expected a duration with a unit"}},
		{"reattach_deadline too short", "reattach_deadline: 10ms\n", []string{"1:20: fleet.hosts.reattach_deadline: 10ms must be between 1s and 24h"}},
		{"reattach_deadline garbage", "reattach_deadline: soon\n", []string{"soon is not a positive duration"}},
		{"lease too long", "lease: 2h\n", []string{"1:8: fleet.hosts.lease: 2h0m0s must be between 1s and 1h"}},
		{"key twice", "batch: 1\nbatch: 2\n", []string{`svc.yaml:2:1: fleet.hosts: not YAML: mapping key "batch" already defined`}},
		{"alias", "a: &x 1\nbatch: *x\n", []string{`unknown key "a"`, "fleet.hosts.batch: YAML aliases"}},
		{"two documents", "batch: 1\n---\nbatch: 2\n", []string{"one host strategy per file: found 2 YAML documents"}},
		{"not YAML", "batch: [1\n", []string{"fleet.hosts: not YAML"}},
		{"several errors at once", "batch: 0\nmax_parallel: 0\nfailure_action: x\n", []string{
			"1:8: fleet.hosts.batch", "2:15: fleet.hosts.max_parallel", "fleet.hosts.failure_action"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := plan.ParseStrategy("svc.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("no error")
			}
			fes := fieldErrors(t, err)
			if len(fes) != len(tt.want) {
				t.Fatalf("%d errors, want %d:\n%v", len(fes), len(tt.want), err)
			}
			for i, w := range tt.want {
				if !strings.Contains(fes[i].Error(), w) {
					t.Errorf("error %d\n%s\nlacks %q", i, fes[i], w)
				}
			}
		})
	}
}

func TestParseStrategyTooLarge(t *testing.T) {
	_, err := plan.ParseStrategy("svc.yaml", []byte(strings.Repeat("#", plan.MaxStrategyBytes+1)))
	if err == nil || !strings.Contains(err.Error(), "more than the 16384 a host strategy may have") {
		t.Errorf("err = %v, want the size limit", err)
	}
}

// DecodeStrategy takes the node of fleet.hosts inside a whole service file,
// and its errors point into that file.
func TestDecodeStrategyInServiceFile(t *testing.T) {
	file := `name: hello
command: /usr/bin/hello
fleet:
  hosts:
    ramp: [1, "25%"]
    max_per_label:
      zone: 0
`
	f, err := parser.ParseBytes([]byte(file), 0)
	if err != nil {
		t.Fatal(err)
	}
	var node ast.Node
	for _, kv := range f.Docs[0].Body.(*ast.MappingNode).Values {
		if kv.Key.GetToken().Value == "fleet" {
			for _, kv2 := range kv.Value.(*ast.MappingNode).Values {
				if kv2.Key.GetToken().Value == "hosts" {
					node = kv2.Value
				}
			}
		}
	}
	if node == nil {
		t.Fatal("no fleet.hosts node")
	}
	_, err = plan.DecodeStrategy("hello.yaml", node)
	fes := fieldErrors(t, err)
	if len(fes) != 1 {
		t.Fatalf("errors %v, want one", err)
	}
	want := plan.FieldError{File: "hello.yaml", Line: 7, Column: 13, Field: "fleet.hosts.max_per_label.zone", Msg: "0 must be between 1 and 10000"}
	if *fes[0] != want {
		t.Errorf("error %+v\nwant  %+v", *fes[0], want)
	}
	if s, err := plan.DecodeStrategy("hello.yaml", nil); err != nil || !reflect.DeepEqual(s, plan.Strategy{}) {
		t.Errorf("DecodeStrategy(nil) = %+v, %v; want the zero strategy", s, err)
	}
}

func TestStrategyValidate(t *testing.T) {
	tests := []struct {
		name string
		s    plan.Strategy
		want string // "" for valid
	}{
		{"zero", plan.Strategy{}, ""},
		{"full", plan.Strategy{Ramp: []plan.Size{n(1), pct(50)}, MaxParallel: 2, MaxPerLabel: map[string]int{"zone": 1}, OrderBy: []string{"zone"},
			FailureBudget: 1, FailureAction: plan.ActionHalt, MinAvailable: pct(80), ReattachDeadline: time.Minute}, ""},
		{"both count and percentage", plan.Strategy{Batch: plan.Size{N: 1, Percent: 5}}, "batch: sets both a count (1) and a percentage (5%)"},
		{"empty ramp entry", plan.Strategy{Ramp: []plan.Size{{}}}, "ramp[0]: empty"},
		{"negative max_parallel", plan.Strategy{MaxParallel: -1}, "max_parallel: -1"},
		{"too many labels", plan.Strategy{OrderBy: []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q"}}, "order_by: 17 labels, more than 16"},
		{"negative deadline", plan.Strategy{ReattachDeadline: -time.Second}, "reattach_deadline: -1s"},
		{"min_available over 100%", plan.Strategy{MinAvailable: pct(101)}, "min_available: 101% is not within 1%-100%"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate = %v, want %q", err, tt.want)
			}
		})
	}
}
