package cli

import (
	"github.com/spf13/cobra"

	"github.com/sysroll/sysroll/internal/host"
)

// trafficFlags are the flags of the optional traffic proof of a rollout.
type trafficFlags struct {
	url         string
	rate        float64
	maxFailures int64
}

func (f *trafficFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.url, "probe", "", "send light traffic to this URL (the public entry point) while rolling, and count failed requests")
	fl.Float64Var(&f.rate, "probe-rate", 20, "requests per second for --probe")
	fl.Int64Var(&f.maxFailures, "probe-max-failures", 0, "failed --probe requests tolerated; one more fails the batch in flight (and rolls it back)")
}

// proof is the traffic proof the flags ask for; nil without --probe. The
// core validates it.
func (f *trafficFlags) proof() *host.TrafficProof {
	if f.url == "" {
		return nil
	}
	return &host.TrafficProof{URL: f.url, Rate: f.rate, MaxFailures: f.maxFailures}
}
