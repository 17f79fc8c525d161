package host

import (
	"reflect"
	"testing"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/schema"
)

func TestPlanAnalysis(t *testing.T) {
	svc, err := config.Parse("s.yaml", []byte(`name: hello
command: /bin/true
instances: [8081, 8082, 8083]
analysis:
  prometheus: {address: "http://127.0.0.1:9090", instance_label: "127.0.0.1:{port}"}
  metrics:
    - name: errors
      errors: e{instance=~"{instances}"}
      total: t{instance=~"{instances}"}
      max: 0.01
      vs_baseline: {max_ratio: 2}
    - name: smoke
      exec: [/usr/local/bin/smoke, "{instance_addrs}"]
  journal: {vs_baseline: {max_ratio: 2}, max_per_minute: 5}
`))
	if err != nil {
		t.Fatal(err)
	}
	plan := func() *schema.Plan {
		return &schema.Plan{Batches: []schema.PlanBatch{
			{Instances: []schema.PlanInstance{{Name: "8081", Current: "v1"}}, PauseAfterSeconds: 60},
			{Instances: []schema.PlanInstance{{Name: "8082", Current: "v1"}, {Name: "8083", Current: "v2"}}},
		}}
	}
	p := plan()
	planAnalysis(p, svc, rollout.Spec{Kind: release.KindDeploy, Target: "v2"})
	a0, a1 := p.Batches[0].Analysis, p.Batches[1].Analysis
	if a0 == nil || a1 == nil {
		t.Fatalf("no analysis in the plan: %+v", p.Batches)
	}
	// 8083 already runs the target: it is no baseline.
	if !reflect.DeepEqual(a0.Baseline, []string{"8082"}) || !a0.DuringPause || a0.Count != 6 || a0.IntervalSeconds != 10 || a0.InitialDelaySeconds != 30 {
		t.Errorf("batch 1 analysis %+v", a0)
	}
	want0 := []schema.PlanMetric{{Name: "errors", Kind: "ratio", Bounds: []string{"max 0.01", "vs_baseline"}},
		{Name: "smoke", Kind: "exec", Bounds: []string{"exit 0"}}, {Name: "journal", Kind: "journal", Bounds: []string{"max_per_minute 5", "vs_baseline"}}}
	if !reflect.DeepEqual(a0.Metrics, want0) {
		t.Errorf("batch 1 metrics %+v\nwant %+v", a0.Metrics, want0)
	}
	// The last batch has no baseline: only absolute bounds.
	want1 := []schema.PlanMetric{{Name: "errors", Kind: "ratio", Bounds: []string{"max 0.01"}},
		{Name: "smoke", Kind: "exec", Bounds: []string{"exit 0"}}, {Name: "journal", Kind: "journal", Bounds: []string{"max_per_minute 5"}}}
	if len(a1.Baseline) != 0 || a1.DuringPause || !reflect.DeepEqual(a1.Metrics, want1) {
		t.Errorf("batch 2 analysis %+v", a1)
	}
	for _, kind := range []release.Kind{release.KindRollback, release.KindRestart} {
		p := plan()
		planAnalysis(p, svc, rollout.Spec{Kind: kind, Target: "v1"})
		if p.Batches[0].Analysis != nil {
			t.Errorf("a %s plan shows an analysis", kind)
		}
	}
}
