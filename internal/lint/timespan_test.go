package lint

import (
	"errors"
	"testing"
	"time"
)

func TestParseTimespan(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		// Accepted the way systemd's parse_sec() accepts them (systemd.time(7)).
		{in: "2", want: 2 * time.Second},
		{in: "2s", want: 2 * time.Second},
		{in: " 2s ", want: 2 * time.Second},
		{in: "2 s", want: 2 * time.Second},
		{in: "500ms", want: 500 * time.Millisecond},
		{in: "500msec", want: 500 * time.Millisecond},
		{in: "100ms", want: 100 * time.Millisecond},
		{in: "1min 30s", want: 90 * time.Second},
		{in: "1min30s", want: 90 * time.Second},
		{in: "5m", want: 5 * time.Minute},
		{in: "2 3", want: 5 * time.Second}, // components add up
		{in: "1.5s", want: 1500 * time.Millisecond},
		{in: "1.5", want: 1500 * time.Millisecond},
		{in: ".5s", want: 500 * time.Millisecond},
		{in: "+3", want: 3 * time.Second},
		{in: "1h", want: time.Hour},
		{in: "2hours 1sec", want: 2*time.Hour + time.Second},
		{in: "1d", want: 24 * time.Hour},
		{in: "1w", want: 7 * 24 * time.Hour},
		{in: "1M", want: 2629800 * time.Second},
		{in: "1y", want: 31557600 * time.Second},
		{in: "10us", want: 10 * time.Microsecond},
		{in: "10\u00b5s", want: 10 * time.Microsecond},
		{in: "1.0005ms", want: time.Millisecond}, // microsecond resolution
		{in: "0", want: 0},
		{in: "infinity", want: Infinity},
		{in: " infinity ", want: Infinity},
		// Rejected: systemd logs "Failed to parse sec value, ignoring".
		{in: "", bad: true},
		{in: "   ", bad: true},
		{in: "2 # Delay before restart if failed", bad: true},
		{in: "2  # x", bad: true},
		{in: "2secs", bad: true}, // "sec" matches, then "s" is garbage
		{in: "2x", bad: true},
		{in: "2. s", bad: true},
		{in: "3.", bad: true},
		{in: "-1", bad: true},
		{in: "+.5", bad: true},
		{in: "1.2.3", bad: true},
		{in: "infinity 2", bad: true},
		{in: "s", bad: true},
		{in: "99999999999999999999", bad: true},
		{in: "999999999y", bad: true},
	}
	for _, tt := range tests {
		got, err := ParseTimespan(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseTimespan(%q) = %v, want error", tt.in, got)
			} else if !errors.Is(err, ErrTimespan) {
				t.Errorf("ParseTimespan(%q) error %v does not wrap ErrTimespan", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseTimespan(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestFormatTimespan(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{100 * time.Millisecond, "100ms"},
		{2 * time.Second, "2s"},
		{90 * time.Second, "1min 30s"},
		{500 * time.Millisecond, "500ms"},
		{0, "0"},
		{Infinity, "infinity"},
	}
	for _, tt := range tests {
		if got := formatTimespan(tt.in); got != tt.want {
			t.Errorf("formatTimespan(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
