package rollout

import (
	"reflect"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/release"
)

func batchStep(n int) config.RolloutStep           { return config.RolloutStep{Batch: config.Step{N: n}} }
func pctStep(p int) config.RolloutStep             { return config.RolloutStep{Batch: config.Step{Percent: p}} }
func pauseStep(d time.Duration) config.RolloutStep { return config.RolloutStep{Pause: d} }

func TestPlanSteps(t *testing.T) {
	ten := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}
	for _, tt := range []struct {
		name    string
		inst    []string
		steps   []config.RolloutStep
		batches []int // sizes
		pauses  []release.Pause
	}{
		{"canary, pause, rest", ten, []config.RolloutStep{batchStep(1), pauseStep(5 * time.Second), pctStep(100)},
			[]int{1, 9}, []release.Pause{{After: 0, Duration: 5 * time.Second}}},
		{"ramp semantics: the last batch entry repeats, without a pause", ten,
			[]config.RolloutStep{batchStep(1), pauseStep(time.Minute), pctStep(25), pauseStep(2 * time.Minute), batchStep(2)},
			[]int{1, 3, 2, 2, 2}, []release.Pause{{After: 0, Duration: time.Minute}, {After: 1, Duration: 2 * time.Minute}}},
		{"instances run out before the steps: no pause after the last batch", []string{"a", "b"},
			[]config.RolloutStep{batchStep(1), pauseStep(time.Minute), batchStep(1), pauseStep(time.Minute), batchStep(5)},
			[]int{1, 1}, []release.Pause{{After: 0, Duration: time.Minute}}},
		{"one instance: nothing follows the canary", []string{"a"},
			[]config.RolloutStep{batchStep(1), pauseStep(time.Minute), pctStep(100)}, []int{1}, nil},
		{"no pause", ten, []config.RolloutStep{pctStep(50)}, []int{5, 5}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := Strategy{Steps: tt.steps}
			batches, err := Plan(tt.inst, s)
			if err != nil {
				t.Fatal(err)
			}
			var sizes []int
			for _, b := range batches {
				sizes = append(sizes, len(b))
			}
			if !reflect.DeepEqual(sizes, tt.batches) {
				t.Errorf("batch sizes %v, want %v", sizes, tt.batches)
			}
			if got := PlanPauses(len(batches), s); !reflect.DeepEqual(got, tt.pauses) {
				t.Errorf("pauses %+v, want %+v", got, tt.pauses)
			}
		})
	}
}

func TestStepsRefused(t *testing.T) {
	for _, tt := range []struct {
		name string
		s    Strategy
	}{
		{"with ramp", Strategy{Ramp: []config.Step{{N: 1}}, Steps: []config.RolloutStep{batchStep(1)}}},
		{"with batch", Strategy{Batch: config.Step{N: 1}, Steps: []config.RolloutStep{batchStep(1)}}},
		{"pause first", Strategy{Steps: []config.RolloutStep{pauseStep(time.Second), batchStep(1)}}},
		{"pause last", Strategy{Steps: []config.RolloutStep{batchStep(1), pauseStep(time.Second)}}},
		{"two pauses", Strategy{Steps: []config.RolloutStep{batchStep(1), pauseStep(time.Second), pauseStep(time.Second), batchStep(1)}}},
		{"negative pause", Strategy{Steps: []config.RolloutStep{batchStep(1), pauseStep(-time.Second), batchStep(1)}}},
		{"empty batch", Strategy{Steps: []config.RolloutStep{{}}}},
		{"batch over 100%", Strategy{Steps: []config.RolloutStep{pctStep(150)}}},
		{"both in one entry", Strategy{Steps: []config.RolloutStep{batchStep(1), {Batch: config.Step{N: 1}, Pause: time.Second}, batchStep(1)}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.s.Validate(); err == nil {
				t.Error("Validate accepted it")
			}
			if _, err := Plan([]string{"a", "b"}, tt.s); err == nil {
				t.Error("Plan accepted it")
			}
		})
	}
}

func TestDescribeSteps(t *testing.T) {
	got := describeSteps([][]string{{"a"}, {"b", "c"}}, []release.Pause{{After: 0, Duration: 90 * time.Second}})
	if want := "a | pause 1m30s | b,c"; got != want {
		t.Errorf("describeSteps = %q, want %q", got, want)
	}
	if got := describeSteps([][]string{{"a"}, {"b"}}, nil); got != "a | b" {
		t.Errorf("describeSteps without pauses = %q", got)
	}
}
