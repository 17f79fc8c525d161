package host

import (
	"slices"
	"testing"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
)

// status exited 0 with 0/3 healthy: StatusProblems is what makes it 1.
func TestStatusProblems(t *testing.T) {
	row := func(inst, health string) schema.InstanceStatus {
		return schema.InstanceStatus{Instance: inst, Unit: "shop@" + inst + ".service", Health: health}
	}
	healthy := []schema.InstanceStatus{row("1", schema.Healthy), row("2", schema.Healthy)}
	for _, tc := range []struct {
		name string
		st   schema.Status
		want []string
	}{
		{"all healthy", schema.Status{Instances: healthy}, nil},
		{"mixed releases and quarantined files still serve",
			schema.Status{Instances: healthy, Mixed: true, Quarantined: []release.Quarantined{{Path: "x"}}}, nil},
		{"down and unhealthy", schema.Status{Instances: []schema.InstanceStatus{row("1", schema.Down), row("2", schema.Unhealthy), row("3", schema.Healthy)}},
			[]string{"shop@1.service is down", "shop@2.service is unhealthy"}},
		{"interrupted rollout", schema.Status{Instances: healthy, Interrupted: &release.Record{ID: "r7"}},
			[]string{"rollout r7 was interrupted"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := StatusProblems(&tc.st); !slices.Equal(got, tc.want) {
				t.Errorf("StatusProblems = %q, want %q", got, tc.want)
			}
		})
	}
}
