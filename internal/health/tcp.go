package health

import (
	"context"
	"net"
	"time"
)

// TCP checks that a TCP connection to Addr (host:port) can be opened.
// The connection is closed at once.
type TCP struct {
	Addr string
}

// Check implements Probe.
func (p TCP) Check(ctx context.Context) Result {
	start := time.Now()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", p.Addr)
	if err != nil {
		return Result{Detail: "tcp " + p.Addr + ": " + err.Error(), Took: time.Since(start)}
	}
	c.Close()
	return Result{OK: true, Detail: "tcp " + p.Addr + ": connected", Took: time.Since(start)}
}
