package plan

// StepDown is how many of a host's instances its own step takes out of
// service at once, at most: the largest batch that the service's
// rollout.batch or rollout.ramp makes of them, as rollout.Plan cuts it.
// It is Host.MaxDown and Check.MaxDown for that host. The caller converts
// config's steps: StepDown(n, plan.Size(r.Batch), sizes(r.Ramp)).
func StepDown(instances int, batch Size, ramp []Size) int {
	steps := ramp
	if len(steps) == 0 {
		steps = []Size{batch}
	}
	most := 0
	for k, done := 0, 0; done < instances; k++ {
		n := min(steps[min(k, len(steps)-1)].Size(instances), instances-done)
		most = max(most, n)
		done += n
	}
	return most
}
