package lint

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Infinity is what ParseTimespan returns for "infinity" (systemd's USEC_INFINITY).
const Infinity = time.Duration(math.MaxInt64)

// ErrTimespan is wrapped by every ParseTimespan error.
var ErrTimespan = errors.New("invalid time span")

// timeUnits is systemd's multiplier table (src/basic/time-util.c,
// extract_multiplier). Order matters: systemd takes the first entry that is a
// prefix of the rest of the value, so "msec" must precede "ms" and "m", and
// "min" must precede "m".
var timeUnits = []struct {
	suffix string
	d      time.Duration
}{
	{"seconds", time.Second},
	{"second", time.Second},
	{"sec", time.Second},
	{"s", time.Second},
	{"minutes", time.Minute},
	{"minute", time.Minute},
	{"min", time.Minute},
	{"months", month},
	{"month", month},
	{"M", month},
	{"msec", time.Millisecond},
	{"ms", time.Millisecond},
	{"m", time.Minute},
	{"hours", time.Hour},
	{"hour", time.Hour},
	{"hr", time.Hour},
	{"h", time.Hour},
	{"days", day},
	{"day", day},
	{"d", day},
	{"weeks", 7 * day},
	{"week", 7 * day},
	{"w", 7 * day},
	{"years", year},
	{"year", year},
	{"y", year},
	{"usec", time.Microsecond},
	{"us", time.Microsecond},
	{"\u03bcs", time.Microsecond}, // GREEK SMALL LETTER MU
	{"\u00b5s", time.Microsecond}, // MICRO SIGN
}

const (
	day   = 24 * time.Hour
	month = 2629800 * time.Second  // systemd's USEC_PER_MONTH (30.44 days)
	year  = 31557600 * time.Second // systemd's USEC_PER_YEAR (365.25 days)
)

const spaces = " \t\n\r"

// ParseTimespan parses a time span the way systemd's parse_sec() does for
// settings like RestartSec= (systemd.time(7)): a sequence of numbers, each with
// an optional unit ("2", "2s", "500ms", "1min 30s", "1.5h"); a bare number is
// seconds; "infinity" returns Infinity. Anything else, including a trailing
// "# comment", is an error, which is exactly when systemd logs
// "Failed to parse sec value, ignoring" and drops the line. Results are
// truncated to microseconds, systemd's resolution.
func ParseTimespan(s string) (time.Duration, error) {
	p := strings.TrimLeft(s, spaces)
	if rest, ok := strings.CutPrefix(p, "infinity"); ok {
		if strings.TrimLeft(rest, spaces) != "" {
			return 0, fmt.Errorf("%w: %q", ErrTimespan, s)
		}
		return Infinity, nil
	}
	var total time.Duration
	something := false
	for {
		p = strings.TrimLeft(p, spaces)
		if p == "" {
			if !something {
				return 0, fmt.Errorf("%w: %q is empty", ErrTimespan, s)
			}
			return total, nil
		}
		d, rest, err := parseTimeComponent(p)
		if err != nil {
			return 0, fmt.Errorf("%w: %q: %s", ErrTimespan, s, err.Error())
		}
		if d > Infinity-1-total {
			return 0, fmt.Errorf("%w: %q overflows", ErrTimespan, s)
		}
		total += d
		something = true
		p = rest
	}
}

// parseTimeComponent reads one "NUMBER[.FRACTION][ ]UNIT" from p, mirroring
// the loop body of systemd's parse_time().
func parseTimeComponent(p string) (time.Duration, string, error) {
	if strings.HasPrefix(p, "-") {
		return 0, "", errors.New("negative")
	}
	// strtoll(3) accepts a leading '+'.
	i := 0
	if strings.HasPrefix(p, "+") {
		i = 1
	}
	digitsStart := i
	for i < len(p) && isDigit(p[i]) {
		i++
	}
	intPart := p[digitsStart:i]
	// strtoll() converts nothing in ".5", and systemd then reads ".5" as a
	// fraction of zero; with a sign and no digits ("+.5") it is an error.
	if intPart == "" && (i != 0 || !strings.HasPrefix(p, ".")) {
		return 0, "", fmt.Errorf("expected a number at %q", p)
	}
	var frac string
	hasDot := i < len(p) && p[i] == '.'
	if hasDot {
		j := i + 1
		for j < len(p) && isDigit(p[j]) {
			j++
		}
		frac = p[i+1 : j]
		i = j
	}
	afterNumber := p[i:]
	unitAt := strings.TrimLeft(afterNumber, spaces)
	mult := time.Second
	rest := unitAt
	matched := false
	for _, u := range timeUnits {
		if r, ok := strings.CutPrefix(unitAt, u.suffix); ok {
			mult, rest, matched = u.d, r, true
			break
		}
	}
	// systemd refuses "12.34.56" (garbage right after the number) but lets
	// the next loop iteration reject whatever follows whitespace.
	if !matched && len(unitAt) == len(afterNumber) && afterNumber != "" {
		return 0, "", fmt.Errorf("unexpected %q", afterNumber)
	}
	if hasDot && frac == "" {
		return 0, "", errors.New("missing digits after '.'")
	}
	var n int64
	for _, c := range intPart {
		if n > (math.MaxInt64-9)/10 {
			return 0, "", errors.New("number too large")
		}
		n = n*10 + int64(c-'0')
	}
	if n >= int64(Infinity/mult) {
		return 0, "", errors.New("number too large")
	}
	d := time.Duration(n) * mult
	for k, m := 0, mult/10; k < len(frac) && m > 0; k, m = k+1, m/10 {
		d += time.Duration(frac[k]-'0') * m
	}
	return d.Truncate(time.Microsecond), rest, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// formatTimespan renders d the way systemd's format_timespan() would for the
// values a linter prints (e.g. "100ms", "2s", "1min 30s", "infinity").
func formatTimespan(d time.Duration) string {
	if d == Infinity {
		return "infinity"
	}
	if d == 0 {
		return "0"
	}
	parts := []struct {
		d    time.Duration
		name string
	}{
		{year, "y"}, {month, "month"}, {7 * day, "w"}, {day, "d"}, {time.Hour, "h"},
		{time.Minute, "min"}, {time.Second, "s"}, {time.Millisecond, "ms"}, {time.Microsecond, "us"},
	}
	var out []string
	for _, p := range parts {
		if d >= p.d {
			out = append(out, fmt.Sprintf("%d%s", d/p.d, p.name))
			d %= p.d
		}
	}
	return strings.Join(out, " ")
}
