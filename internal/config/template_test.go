package config

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{in: "/bin/x", want: []string{"/bin/x"}},
		{in: "  /bin/x   a\tb  ", want: []string{"/bin/x", "a", "b"}},
		{in: `x "a b" 'c d'`, want: []string{"x", "a b", "c d"}},
		{in: `x "say \"hi\"" 'it''s'`, want: []string{"x", `say "hi"`, "its"}},
		{in: `x a\ b \'q`, want: []string{"x", "a b", "'q"}},
		{in: `x "a\nb" "c\\d"`, want: []string{"x", `a\nb`, `c\d`}},
		{in: `x "" ''`, want: []string{"x", "", ""}},
		{in: `x $HOME 50% ;`, want: []string{"x", "$HOME", "50%", ";"}},
		{in: "", want: nil},
		{in: `x "abc`, wantErr: "unterminated \" quote"},
		{in: `x 'abc`, wantErr: "unterminated ' quote"},
		{in: `x \`, wantErr: "lone backslash"},
		{in: "x\ny", wantErr: "a command is one line"},
		{in: "x\x00y", wantErr: "control character"},
	}
	for _, tt := range tests {
		got, err := SplitCommand(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("SplitCommand(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("SplitCommand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestInstancesAndPorts(t *testing.T) {
	tests := []struct {
		in        Instances
		names     []string
		ports     bool
		port8082  int
		hasPort82 bool
	}{
		{in: Instances{List: []string{"8081", "8082"}}, names: []string{"8081", "8082"}, ports: true, port8082: 8082, hasPort82: true},
		{in: Instances{Count: 3, FirstPort: 8081}, names: []string{"8081", "8082", "8083"}, ports: true, port8082: 8082, hasPort82: true},
		{in: Instances{Count: 3}, names: []string{"1", "2", "3"}},
		{in: Instances{List: []string{"a", "8082"}}, names: []string{"a", "8082"}},
	}
	for _, tt := range tests {
		s := &Service{Instances: tt.in}
		if got := s.InstanceNames(); !slices.Equal(got, tt.names) {
			t.Errorf("%+v: names = %q, want %q", tt.in, got, tt.names)
		}
		if got := s.PortInstances(); got != tt.ports {
			t.Errorf("%+v: PortInstances = %v", tt.in, got)
		}
		if p, ok := s.Port("8082"); p != tt.port8082 || ok != tt.hasPort82 {
			t.Errorf("%+v: Port(8082) = %d, %v", tt.in, p, ok)
		}
		if _, ok := s.Port("9999"); ok {
			t.Errorf("%+v: Port of a non-instance", tt.in)
		}
	}
}

func TestExpand(t *testing.T) {
	s := &Service{Instances: Instances{List: []string{"8081"}}}
	got := s.Expand("{release}/bin --port {port} --name {instance} {other} {json:1} {", "/r/v1", "8081")
	want := "/r/v1/bin --port 8081 --name 8081 {other} {json:1} {"
	if got != want {
		t.Errorf("Expand = %q, want %q", got, want)
	}
	named := &Service{Instances: Instances{List: []string{"web"}}}
	if got := named.Expand("{instance}:{port}", "", "web"); got != "web:" {
		t.Errorf("Expand with non-port instances = %q", got)
	}
	lit := MapTemplate("a%{instance}b", func(l string) string { return "[" + l + "]" }, func(n string) string { return "<" + n + ">" })
	if lit != "[a%]<instance>[b]" {
		t.Errorf("MapTemplate = %q", lit)
	}
}

func TestStepSize(t *testing.T) {
	tests := []struct {
		step        Step
		total, want int
	}{
		{Step{N: 1}, 10, 1},
		{Step{N: 20}, 10, 10},
		{Step{Percent: 25}, 10, 3},
		{Step{Percent: 25}, 2, 1},
		{Step{Percent: 100}, 7, 7},
		{Step{Percent: 1}, 3, 1},
	}
	for _, tt := range tests {
		if got := tt.step.Size(tt.total); got != tt.want {
			t.Errorf("%v.Size(%d) = %d, want %d", tt.step, tt.total, got, tt.want)
		}
	}
	if (Step{Percent: 25}).String() != "25%" || (Step{N: 2}).String() != "2" {
		t.Error("Step.String")
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"healthy_for", "healthy_threshold", "interval", "deadline"}
	for word, want := range map[string]string{
		"healty_for": "healthy_for", "healthyFor": "healthy_for", "HEALTHY-FOR": "healthy_for",
		"intervall": "interval", "dedline": "deadline", "zzz": "",
	} {
		got := suggest(word, keys)
		if want == "" && got != "" || want != "" && got != " (did you mean "+want+"?)" {
			t.Errorf("suggest(%q) = %q, want %q", word, got, want)
		}
	}
}

// The JSON Schema knows exactly the keys the Go types know, at every level.
func TestSchemaMatchesTypes(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(Schema(), &doc); err != nil {
		t.Fatalf("schema.json is not valid JSON: %v", err)
	}
	checks := []struct {
		path []string
		typ  reflect.Type
	}{
		{nil, reflect.TypeOf(Service{})},
		{[]string{"health"}, reflect.TypeOf(Health{})},
		{[]string{"health", "http"}, reflect.TypeOf(HTTPProbe{})},
		{[]string{"health", "tcp"}, reflect.TypeOf(TCPProbe{})},
		{[]string{"health", "exec"}, reflect.TypeOf(ExecProbe{})},
		{[]string{"rollout"}, reflect.TypeOf(Rollout{})},
		{[]string{"rollout", "haproxy"}, reflect.TypeOf(HAProxy{})},
		{[]string{"hooks"}, reflect.TypeOf(Hooks{})},
		{[]string{"hardening"}, reflect.TypeOf(Hardening{})},
		{[]string{"fleet"}, reflect.TypeOf(Fleet{})},
	}
	for _, c := range checks {
		node := doc
		for _, p := range c.path {
			props, _ := node["properties"].(map[string]any)
			node, _ = props[p].(map[string]any)
		}
		props, ok := node["properties"].(map[string]any)
		if !ok {
			t.Errorf("schema has no properties at %v", c.path)
			continue
		}
		var inSchema, inGo []string
		for k := range props {
			inSchema = append(inSchema, k)
		}
		for k := range yamlFields(c.typ) {
			inGo = append(inGo, k)
		}
		slices.Sort(inSchema)
		slices.Sort(inGo)
		if !slices.Equal(inSchema, inGo) {
			t.Errorf("schema keys at %v differ from %v:\nschema: %v\ngo:     %v", c.path, c.typ, inSchema, inGo)
		}
		if node["additionalProperties"] != false {
			t.Errorf("schema at %v allows unknown keys", c.path)
		}
	}
}

// Every struct field has a doc comment is checked by review; here: every field
// has a yaml tag, so strict decoding and the schema cover it.
func TestEveryFieldHasYAMLTag(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeOf(Service{}), reflect.TypeOf(Health{}), reflect.TypeOf(Rollout{}), reflect.TypeOf(Hardening{})} {
		for i := range typ.NumField() {
			f := typ.Field(i)
			if f.IsExported() && f.Tag.Get("yaml") == "" {
				t.Errorf("%v.%s has no yaml tag", typ, f.Name)
			}
		}
	}
}
