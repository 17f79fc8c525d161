package plan

import "github.com/sysroll/sysroll/internal/config"

// StepDown is how many of a host's instances its own step takes out of
// service at once, at most: the largest batch that the service's
// rollout.batch or rollout.ramp makes of them, as rollout.Plan cuts it.
// It is Host.MaxDown and Check.MaxDown for that host.
func StepDown(instances int, r config.Rollout) int {
	steps := r.Ramp
	if len(steps) == 0 {
		steps = []config.Step{r.Batch}
	}
	most := 0
	for k, done := 0, 0; done < instances; k++ {
		n := min(steps[min(k, len(steps)-1)].Size(instances), instances-done)
		most = max(most, n)
		done += n
	}
	return most
}
