package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sysroll/sysroll/internal/host"
)

// trafficFlags are the flags of the optional traffic proof of a rollout.
type trafficFlags struct {
	url         string
	rate        float64
	maxFailures int64
	flags       *pflag.FlagSet
}

func (f *trafficFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	f.flags = fl
	fl.StringVar(&f.url, "probe", "", "send light traffic to this URL (the public entry point) while rolling, and count failed requests")
	fl.Float64Var(&f.rate, "probe-rate", 20, fmt.Sprintf("requests per second for --probe, %v to %v", host.MinProbeRate, host.MaxProbeRate))
	fl.Var(newDecimalFlag(&f.maxFailures, 0), "probe-max-failures", "failed --probe requests tolerated; one more fails the batch in flight (and rolls it back)")
}

// proof is the traffic proof the flags ask for; nil without --probe. It is
// validated here, before anything is touched (the core's rules): a bad
// number is refused even when the rollout would be refused for another
// reason, and --probe-rate without --probe is a mistake, not ignored.
func (f *trafficFlags) proof() (*host.TrafficProof, error) {
	if f.url == "" {
		for _, name := range []string{"probe-rate", "probe-max-failures"} {
			if f.flags != nil && f.flags.Changed(name) {
				return nil, usagef("--%s is a setting of --probe: give --probe URL too (or leave --%s out)", name, name)
			}
		}
		return nil, nil
	}
	p := &host.TrafficProof{URL: f.url, Rate: f.rate, MaxFailures: f.maxFailures}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}
