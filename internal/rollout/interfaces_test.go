package rollout_test

import (
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
)

// The release store is what the CLI passes as Releases and Journal.
var (
	_ rollout.Releases = (*release.Store)(nil)
	_ rollout.Journal  = (*release.Store)(nil)
)
