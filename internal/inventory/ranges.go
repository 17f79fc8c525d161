package inventory

import (
	"fmt"
	"strconv"
	"strings"
)

// maxRanges bounds the [a:b] ranges in one host pattern.
const maxRanges = 8

// hostRange is one [beg:end:stride] of a host pattern.
type hostRange struct {
	letters bool
	beg     int // a number, or a letter's byte value
	end     int
	stride  int
	width   int // zero padding of numbers; 0 for none
}

func (r hostRange) count() int { return (r.end-r.beg)/r.stride + 1 }

func (r hostRange) item(i int) string {
	v := r.beg + i*r.stride
	if r.letters {
		return string(rune(v))
	}
	return fmt.Sprintf("%0*d", r.width, v)
}

// expandHosts expands Ansible's host ranges: "web[01:20]" is web01 to
// web20 (the leading zero pads them all), "db-[a:c]" is db-a to db-c, and
// "[1:9:2]" takes a stride. Several ranges multiply. It refuses, before
// expanding anything, a pattern that would give more than limit names.
func expandHosts(pattern string, limit int) ([]string, error) {
	var (
		parts  []string // literal parts, one more than ranges
		ranges []hostRange
	)
	rest := pattern
	for {
		i := strings.IndexByte(rest, '[')
		if i < 0 {
			parts = append(parts, rest)
			break
		}
		j := strings.IndexByte(rest[i:], ']')
		if j < 0 {
			return nil, fmt.Errorf("host pattern %s has a '[' without ']'", short(pattern))
		}
		r, err := parseRange(rest[i+1 : i+j])
		if err != nil {
			return nil, fmt.Errorf("host pattern %s: %w", short(pattern), err)
		}
		if len(ranges) == maxRanges {
			return nil, fmt.Errorf("host pattern %s has more than %d ranges", short(pattern), maxRanges)
		}
		parts = append(parts, rest[:i])
		ranges = append(ranges, r)
		rest = rest[i+j+1:]
	}
	if strings.ContainsRune(strings.Join(parts, ""), ']') {
		return nil, fmt.Errorf("host pattern %s has a ']' without '['", short(pattern))
	}
	total := 1
	for _, r := range ranges {
		if total *= r.count(); total > limit {
			return nil, fmt.Errorf("host pattern %s expands to more than %d hosts, the most an inventory may have", short(pattern), limit)
		}
	}
	names := []string{parts[0]}
	for k, r := range ranges {
		next := make([]string, 0, len(names)*r.count())
		for _, n := range names {
			for i := range r.count() {
				next = append(next, n+r.item(i)+parts[k+1])
			}
		}
		names = next
	}
	return names, nil
}

// parseRange reads the inside of [beg:end] or [beg:end:stride].
func parseRange(s string) (hostRange, error) {
	f := strings.Split(s, ":")
	if len(f) < 2 || len(f) > 3 {
		return hostRange{}, fmt.Errorf("range [%s] must be [start:end] or [start:end:stride]", s)
	}
	r := hostRange{stride: 1}
	if len(f) == 3 {
		n, err := strconv.Atoi(f[2])
		if err != nil || n < 1 || n > MaxHosts {
			return hostRange{}, fmt.Errorf("range [%s]: stride must be a number from 1 to %d", s, MaxHosts)
		}
		r.stride = n
	}
	beg, end := f[0], f[1]
	if beg == "" {
		beg = "0"
	}
	if isLetter(beg) || isLetter(end) {
		if !isLetter(beg) || !isLetter(end) || beg > end {
			return hostRange{}, fmt.Errorf("range [%s]: letter ranges go from one letter to a later one ([a:f])", s)
		}
		r.letters, r.beg, r.end = true, int(beg[0]), int(end[0])
		return r, nil
	}
	b, err1 := strconv.Atoi(beg)
	e, err2 := strconv.Atoi(end)
	if err1 != nil || err2 != nil || b < 0 || e < b || len(beg) > 9 || len(end) > 9 {
		return hostRange{}, fmt.Errorf("range [%s] must count up from a number to a larger one", s)
	}
	if beg[0] == '0' && len(beg) > 1 {
		if len(beg) != len(end) {
			return hostRange{}, fmt.Errorf("range [%s]: a zero-padded range needs bounds of equal length ([01:20])", s)
		}
		r.width = len(beg)
	}
	r.beg, r.end = b, e
	return r, nil
}

func isLetter(s string) bool {
	return len(s) == 1 && (s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z')
}
