package cli

import (
	"github.com/sysroll/sysroll/config"
	"github.com/sysroll/sysroll/release"
	"github.com/sysroll/sysroll/rollout"
)

// drainerFor picks how instances leave and rejoin traffic.
func drainerFor(svc *config.Service, store *release.Store) rollout.Drainer {
	return rollout.NoDrain{}
}
