package cli

import (
	"fmt"
	"regexp"
	"strconv"
)

// decimalRe is a whole number as everyone reads it: no leading zeros, no
// base prefix, no '_'.
var decimalRe = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)

// decimalFlag is an integer flag that takes plain decimal only. pflag's own
// reads like Go source (base 0): -n 010 was 8 and -n 0x10 16.
type decimalFlag struct{ p *int64 }

func newDecimalFlag(p *int64, def int64) *decimalFlag {
	*p = def
	return &decimalFlag{p}
}

func (f *decimalFlag) String() string { return strconv.FormatInt(*f.p, 10) }
func (f *decimalFlag) Type() string   { return "int" }

func (f *decimalFlag) Set(s string) error {
	if !decimalRe.MatchString(s) {
		return fmt.Errorf("%q is not a whole number in plain decimal (like 20; no leading zeros, 0x or _)", s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%q is out of range: at most %d", s, int64(^uint64(0)>>1))
	}
	*f.p = n
	return nil
}
