package rollout

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/config"
)

func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprint(8081 + i)
	}
	return out
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name string
		n    int
		s    Strategy
		want []int // batch sizes
	}{
		{"default is one at a time", 4, Strategy{}, []int{1, 1, 1, 1}},
		{"count", 5, Strategy{Batch: config.Step{N: 2}}, []int{2, 2, 1}},
		{"count larger than total", 3, Strategy{Batch: config.Step{N: 10}}, []int{3}},
		{"percent rounds up", 10, Strategy{Batch: config.Step{Percent: 25}}, []int{3, 3, 3, 1}},
		{"percent at least one", 10, Strategy{Batch: config.Step{Percent: 1}}, []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
		{"ramp, last repeats", 6, Strategy{Ramp: []config.Step{{N: 1}, {N: 2}}}, []int{1, 2, 2, 1}},
		{"ansible ramp 1, 25%, 100%", 10, Strategy{Ramp: []config.Step{{N: 1}, {Percent: 25}, {Percent: 100}}}, []int{1, 3, 6}},
		{"ramp longer than needed", 2, Strategy{Ramp: []config.Step{{N: 1}, {N: 1}, {N: 5}}}, []int{1, 1}},
		{"none", 0, Strategy{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := names(tt.n)
			got, err := Plan(in, tt.s)
			if err != nil {
				t.Fatal(err)
			}
			var gotSizes []int
			var flat []string
			for _, b := range got {
				gotSizes = append(gotSizes, len(b))
				flat = append(flat, b...)
			}
			if !reflect.DeepEqual(gotSizes, tt.want) {
				t.Errorf("batch sizes = %v, want %v", gotSizes, tt.want)
			}
			if tt.n > 0 && !reflect.DeepEqual(flat, in) {
				t.Errorf("batches %v do not cover %v in order", got, in)
			}
		})
	}
}

func TestPlanErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		s    Strategy
		want string
	}{
		{"duplicate", []string{"a", "b", "a"}, Strategy{}, "listed twice"},
		{"empty name", []string{""}, Strategy{}, "empty instance"},
		{"batch and ramp", []string{"a"}, Strategy{Batch: config.Step{N: 1}, Ramp: []config.Step{{N: 1}}}, "not both"},
		{"bad percent", []string{"a"}, Strategy{Batch: config.Step{Percent: 150}}, "1%-100%"},
		{"empty ramp step", []string{"a"}, Strategy{Ramp: []config.Step{{}}}, "ramp[0] is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Plan(tt.in, tt.s)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Plan = %v, want error containing %q", err, tt.want)
			}
		})
	}
}

func TestStrategyValidate(t *testing.T) {
	err := Strategy{
		Batch: config.Step{N: -1}, FailureAction: "pause", FailureBudget: -1,
		ProgressDeadline: -time.Second, DrainTimeout: -time.Second,
	}.Validate()
	for _, want := range []string{"batch size -1", `failure action "pause"`, "failure budget -1", "progress deadline", "drain timeout"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want it to contain %q", err, want)
		}
	}
	if err := (Strategy{Ramp: []config.Step{{N: 1}, {Percent: 25}}}).Validate(); err != nil {
		t.Errorf("valid ramp: %v", err)
	}
}
