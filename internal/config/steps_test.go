package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// rollout.steps reports every problem at once, each at its position:
// the decoder's (what cannot be read) together, then, in a file that
// decodes, every rule's.
func TestStepsEveryErrorAtOnce(t *testing.T) {
	head := "name: hello\ncommand: \"{release}/hello --port {port}\"\ninstances: [8081, 8082, 8083]\nrollout:\n"
	for _, c := range []struct {
		name, body string
		want       []string
	}{
		{"decode", "  pause_expiry: 1h\n  steps: [{batch: 1}, {pause: {a: 1}}, {pause: nope}, {batch: 2}]\n", []string{
			"f.yaml:6:31: rollout.steps[1]: pause: {} is an approval gate and takes no keys",
			"f.yaml:6:48: rollout.steps[2]: pause: \"nope\" is not a duration",
		}},
		{"rules", "  ramp: [1, \"100%\"]\n  steps: [{pause: 5s}, {batch: 1}, {pause: 2s}, {pause: 48h}, {batch: \"100%\"}]\n", []string{
			"f.yaml:5:9: rollout.ramp: set steps or ramp, not both",
			"f.yaml:6:19: rollout.steps[0].pause: a pause must follow a batch",
			"f.yaml:6:57: rollout.steps[3].pause: two pauses in a row",
			"f.yaml:6:57: rollout.steps[3].pause: 48h is too long: at most 24h",
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(head+c.body))
			if err == nil {
				t.Fatal("Parse succeeded")
			}
			for _, want := range c.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
		})
	}
}

// A valid steps list decodes entry by entry.
func TestStepsDecode(t *testing.T) {
	svc, err := Parse("f.yaml", []byte(`name: hello
command: "{release}/hello --port {port}"
instances: [8081, 8082, 8083]
rollout:
  steps: [{batch: 1}, {pause: 15m}, {batch: "50%"}, {pause: {}}, {batch: 2}]
  pause_expiry: 2h
  on_pause_expiry: keep
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []RolloutStep{{Batch: Step{N: 1}}, {Pause: 15 * time.Minute}, {Batch: Step{Percent: 50}}, {Gate: true}, {Batch: Step{N: 2}}}
	if !slices.Equal(svc.Rollout.Steps, want) {
		t.Errorf("steps = %+v, want %+v", svc.Rollout.Steps, want)
	}
	if d, a := svc.Rollout.Expiry(); d != 2*time.Hour || a != ExpiryKeep {
		t.Errorf("Expiry() = %v, %v; want 2h, keep", d, a)
	}
	if d, a := (Rollout{}).Expiry(); d != DefaultPauseExpiry || a != ExpiryRollback {
		t.Errorf("default Expiry() = %v, %v; want %v, rollback", d, a, DefaultPauseExpiry)
	}
}
