package plan

import (
	"github.com/sysroll/sysroll/internal/strategy"
	"github.com/sysroll/sysroll/internal/yamlpos"
)

// The types this package shares with internal/config live in leaves both
// import (config calls DecodeStrategy, so plan cannot import config); the
// names here are aliases, so plan.Size and config.Step are one type.

// MaxInstancesPerHost is the most instances one host runs
// (strategy.MaxInstances, config.MaxInstances).
const MaxInstancesPerHost = strategy.MaxInstances

// Size is a count or a percentage (strategy.Step, config.Step): of hosts
// for a host batch, of instances for min_available.
type Size = strategy.Step

// FailureAction is what the fleet does once host failures exceed the
// budget (strategy.FailureAction, config.FailureAction).
type FailureAction = strategy.FailureAction

// The failure actions.
const (
	ActionRollback       = strategy.ActionRollback
	ActionRollbackAll    = strategy.ActionRollbackAll
	ActionHalt           = strategy.ActionHalt
	DefaultFailureAction = strategy.DefaultFailureAction
)

// FieldError is one problem in a service file, with where it is
// (yamlpos.Error, config.FieldError).
type FieldError = yamlpos.Error
