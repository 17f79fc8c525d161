package plan

import (
	"fmt"
	"strconv"
	"strings"
)

// This package must not import internal/config: config calls
// DecodeStrategy while it validates a service file, so the types it shares
// with config are mirrored here instead, each convertible to and from
// config's (plan.Size(step) and config.Step(size) compile, since the
// fields are the same), and the tests check that the mirrors match.

// MaxInstancesPerHost is config.MaxInstances: the most instances one
// host runs.
const MaxInstancesPerHost = 1000

// Size is a count or a percentage (config.Step's shape): of hosts for a
// host batch, of instances for min_available.
type Size struct {
	// N, when Percent is 0.
	N int
	// Percent (1-100), rounded up, at least one.
	Percent int
}

// String renders the size as a service file writes it.
func (s Size) String() string {
	if s.Percent != 0 {
		return strconv.Itoa(s.Percent) + "%"
	}
	return strconv.Itoa(s.N)
}

// Of is how many of total the size covers: at least 1 and at most total
// (for total > 0), a percentage rounded up, as config.Step.Size.
func (s Size) Of(total int) int {
	n := s.N
	if s.Percent != 0 {
		n = (total*s.Percent + 99) / 100
	}
	n = max(n, 1)
	if total > 0 {
		n = min(n, total)
	}
	return n
}

// IsZero reports whether the size is unset.
func (s Size) IsZero() bool { return s.N == 0 && s.Percent == 0 }

// FailureAction is what the fleet does once host failures exceed the
// budget; the words are config.FailureAction's.
type FailureAction string

// The failure actions.
const (
	ActionRollback    FailureAction = "rollback"
	ActionRollbackAll FailureAction = "rollback-all"
	ActionHalt        FailureAction = "halt"
	// DefaultFailureAction is config.DefaultFailureAction.
	DefaultFailureAction = ActionRollback
)

// FieldError is one problem in a service file, with where it is: the
// fields and rendering of config.FieldError, so config can take it over
// as it is (config.FieldError(*e)).
type FieldError struct {
	File         string
	Line, Column int
	Field        string
	Msg          string
}

// Error renders "file:line:col: field: msg", leaving out what is unknown.
func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}
