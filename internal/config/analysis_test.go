package config

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/analysis"
)

const analysisBase = `name: hello
command: /bin/true
instances: [8081, 8082]
`

// A sound block decodes and maps onto analysis.Options with defaults.
func TestAnalysisOptions(t *testing.T) {
	svc, err := Parse("s.yaml", []byte(analysisBase+`analysis:
  initial_delay: 3s
  interval: 2s
  count: 4
  window: 30s
  prometheus: {address: "http://127.0.0.1:25800", instance_label: "127.0.0.1:{port}"}
  metrics:
    - name: errors
      errors: sum(increase(hello_requests_total{instance=~"{instances}",code=~"5.."}[{window}]))
      total: sum(increase(hello_requests_total{instance=~"{instances}"}[{window}]))
      max: 0.03
      vs_baseline: {max_ratio: 2, max_delta: 0.002}
  journal: {max_per_minute: 10}
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Validate(); err != nil {
		t.Fatal(err)
	}
	o := svc.Analysis.Options()
	if o.InitialDelay != 3*time.Second || o.Interval != 2*time.Second || o.Count != 4 || o.Window != 30*time.Second ||
		o.ConsecutiveErrors != analysis.DefaultConsecutiveErrors || o.OnInconclusive != analysis.InconclusiveFail ||
		o.Prometheus.Timeout != analysis.DefaultTimeout || len(o.Metrics) != 1 || *o.Metrics[0].Max != 0.03 ||
		o.Metrics[0].VsBaseline.Confidence != analysis.DefaultConfidence || o.Metrics[0].MinTotal != analysis.DefaultMinTotal ||
		o.Journal == nil || o.Journal.Priority != "err" {
		t.Errorf("options %+v", o)
	}
}

// Every problem of the block is reported at once, at its file:line:col.
func TestAnalysisErrorsAtPositions(t *testing.T) {
	svc, err := Parse("s.yaml", []byte(analysisBase+`analysis:
  count: 3
  failure_limit: 3
  on_inconclusive: wait
  prometheus:
    address: http://127.0.0.1:9090
    instance_label: "127.0.0.1"
  metrics:
    - name: errors
      errors: sum(increase(x{instance=~"{instances}"}[{windw}]))
      total: sum(increase(x{instance=~"{instances}"}[{window}]))
      vs_baseline: {max_ratio: 0.5}
  journal:
    priority: bad
    max_per_minute: 1
`))
	if err == nil {
		err = svc.Validate()
	}
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"s.yaml:6:18: analysis.failure_limit: 3 tolerates every one",
		"s.yaml:7:20: analysis.on_inconclusive:",
		"s.yaml:10:21: analysis.prometheus.instance_label:",
		"s.yaml:13:15: analysis.metrics[0].errors: unknown placeholder {windw}: did you mean {window}?",
		"s.yaml:15:32: analysis.metrics[0].vs_baseline.max_ratio: 0.5 is below 1",
		"s.yaml:17:15: analysis.journal.priority:",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
	if strings.Count(err.Error(), "on_inconclusive") != 1 {
		t.Errorf("on_inconclusive reported more than once:\n%v", err)
	}
}

// An unknown key in the block is refused like any other.
func TestAnalysisUnknownKey(t *testing.T) {
	_, err := Parse("s.yaml", []byte(analysisBase+"analysis:\n  intervall: 2s\n"))
	if err == nil || !strings.Contains(err.Error(), `unknown key "intervall" in analysis (did you mean interval?)`) {
		t.Errorf("err = %v", err)
	}
}

// schema.json knows exactly the block's keys.
func TestAnalysisSchemaMatchesTypes(t *testing.T) {
	var doc struct {
		Properties map[string]struct {
			Properties map[string]struct {
				Properties map[string]any `json:"properties"`
				Items      struct {
					Properties map[string]any `json:"properties"`
				} `json:"items"`
			} `json:"properties"`
		} `json:"properties"`
		Defs map[string]struct {
			Properties map[string]any `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(Schema(), &doc); err != nil {
		t.Fatal(err)
	}
	a := doc.Properties["analysis"].Properties
	for _, c := range []struct {
		what string
		keys map[string]any
		typ  reflect.Type
	}{
		{"analysis", func() map[string]any {
			m := map[string]any{}
			for k := range a {
				m[k] = nil
			}
			return m
		}(), reflect.TypeOf(Analysis{})},
		{"prometheus", a["prometheus"].Properties, reflect.TypeOf(AnalysisPrometheus{})},
		{"metrics", a["metrics"].Items.Properties, reflect.TypeOf(AnalysisMetric{})},
		{"journal", a["journal"].Properties, reflect.TypeOf(AnalysisJournal{})},
		{"vs_baseline", doc.Defs["vsBaseline"].Properties, reflect.TypeOf(AnalysisVsBaseline{})},
	} {
		var inSchema, inGo []string
		for k := range c.keys {
			inSchema = append(inSchema, k)
		}
		for k := range yamlFields(c.typ) {
			inGo = append(inGo, k)
		}
		slices.Sort(inSchema)
		slices.Sort(inGo)
		if !slices.Equal(inSchema, inGo) {
			t.Errorf("%s: schema %v, go %v", c.what, inSchema, inGo)
		}
	}
}

// The starter's commented analysis block, uncommented, is a valid one.
func TestStarterAnalysisBlockIsValid(t *testing.T) {
	lines := strings.Split(string(Starter("hello")), "\n")
	var block []string
	for i, l := range lines {
		if l != "# analysis:" {
			continue
		}
		for _, m := range lines[i:] {
			if !strings.HasPrefix(m, "#") {
				break
			}
			block = append(block, strings.TrimPrefix(strings.TrimPrefix(m, "#"), " "))
		}
	}
	if len(block) < 5 {
		t.Fatalf("no analysis block in the starter: %q", block)
	}
	svc, err := Parse("s.yaml", []byte(analysisBase+strings.Join(block, "\n")+"\n"))
	if err == nil {
		err = svc.Validate()
	}
	if err != nil || svc.Analysis == nil || len(svc.Analysis.Metrics) != 1 || svc.Analysis.Journal == nil {
		t.Fatalf("starter's analysis block: %v\n%s", err, strings.Join(block, "\n"))
	}
}

// docs/analysis.md's complete example is a valid service file.
func TestAnalysisDocExample(t *testing.T) {
	b, err := os.ReadFile("../../docs/analysis.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```yaml\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("no yaml example in docs/analysis.md")
	}
	svc, err := Parse("analysis.md", []byte(example))
	if err == nil {
		err = svc.Validate()
	}
	if err != nil || svc.Analysis == nil || len(svc.Analysis.Metrics) != 3 || svc.Analysis.Options().Metrics[2].Kind() != analysis.KindExec {
		t.Fatalf("the example: %v", err)
	}
}

// An exec metric decodes with its timeout; {instance_addrs} is refused with
// a shared socket, where no address reaches the canary alone.
func TestAnalysisExecMetric(t *testing.T) {
	block := `analysis:
  metrics:
    - name: smoke
      exec: ["/usr/local/bin/smoke", "--targets", "{instance_addrs}"]
      timeout: 3s
`
	svc, err := Parse("s.yaml", []byte(analysisBase+block))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Validate(); err != nil {
		t.Fatal(err)
	}
	m := svc.Analysis.Options().Metrics[0]
	if m.Kind() != analysis.KindExec || len(m.Exec) != 3 || m.Exec[2] != "{instance_addrs}" || m.Timeout != 3*time.Second {
		t.Errorf("metric %+v", m)
	}
	svc, err = Parse("s.yaml", []byte(analysisBase+"listen: 8080\n"+block+"    - name: rel\n      exec: [smoke]\n      timeout: 11m\n"))
	if err == nil {
		err = svc.Validate()
	}
	for _, want := range []string{
		"s.yaml:8:51: analysis.metrics[0].exec[2]: {instance_addrs} needs an own port per instance",
		`s.yaml:11:14: analysis.metrics[1].exec[0]: "smoke" is not an absolute path`,
		"s.yaml:12:16: analysis.metrics[1].timeout: 11m0s is longer than 10m0s",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}
