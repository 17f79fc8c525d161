// Package portchecktest provides Table, a fake portcheck.Table the test
// fills in.
package portchecktest

import "github.com/sysroll/sysroll/internal/portcheck"

// Table maps a port to its listeners; a port it lacks is free.
type Table map[int][]portcheck.Listener

var _ portcheck.Table = Table(nil)

// Listeners implements portcheck.Table.
func (t Table) Listeners(port int) ([]portcheck.Listener, error) {
	return t[port], nil
}
