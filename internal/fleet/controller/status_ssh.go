package controller

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

var _ StatusHost = (*SSHHost)(nil)

// Clock implements StatusHost: the host's `date +%s.%N`.
func (h *SSHHost) Clock(ctx context.Context) (time.Time, error) {
	out, err := h.run(ctx, []string{"date", "+%s.%N"}, nil)
	if err != nil {
		return time.Time{}, err
	}
	return parseClock(h.name, string(out))
}

// parseClock reads `date +%s.%N`: seconds, a dot, nanoseconds (9 digits).
func parseClock(host, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	sec, frac, ok := strings.Cut(s, ".")
	secs, err1 := strconv.ParseInt(sec, 10, 64)
	nanos, err2 := strconv.ParseInt(frac, 10, 64)
	if !ok || err1 != nil || err2 != nil || len(frac) != 9 || nanos < 0 {
		return time.Time{}, fmt.Errorf("%s: date +%%s.%%N answered %q, not seconds.nanoseconds (GNU date is needed)", host, clip(s))
	}
	return time.Unix(secs, nanos), nil
}
