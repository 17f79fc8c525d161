// Package journal is the no-infrastructure provider of package analysis:
// it counts journal entries at error priority (or worse) written by exactly
// the new processes — matched by _SYSTEMD_INVOCATION_ID, which systemd
// stamps on every line a unit's process logs, so an old process's lines
// can never count for the canary — against those of the untouched units
// over the same wall-clock window. The exposure is instance-seconds, and the
// exact rate test of package analysis applies.
//
// journald rate-limits per unit (RateLimitIntervalSec=, RateLimitBurst=)
// and then logs "Suppressed N messages from UNIT" itself, at info priority,
// with MESSAGE_ID a596d6fe7bfa4994828e72309e95d61e and the unit's
// OBJECT_SYSTEMD_INVOCATION_ID (captured from systemd 252 in testdata/). A
// canary that was rate-limited logged more than the count shows, so that is
// a failed measurement, not silence. journald writes that entry only when
// the unit logs again after the interval: a flood still going on when the
// window closes shows up at the next measurement. Suppression of a baseline
// unit is not checked: it can only make the baseline look better and the
// canary worse.
//
// Plain stderr lines are logged at the unit's SyslogLevel= (info by
// default); an application reports errors with sd-daemon prefixes ("<3>")
// or a structured PRIORITY=.
//
// journalctl runs behind the Runner interface, so tests use captured output.
package journal
