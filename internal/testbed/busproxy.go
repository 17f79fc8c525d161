package testbed

import (
	"context"
	"fmt"
)

// busProxySocket is where the relay to systemd's private socket listens
// inside the container.
const busProxySocket = "/run/sysroll-testbed/systemd-private"

// The relay: a socket unit and systemd-socket-proxyd, both run by the
// container's systemd, so the relay's connections to /run/systemd/private
// come from inside its PID namespace. Only root can reach the socket.
const (
	busProxyUnit    = "sysroll-testbed-bus"
	busProxySockDef = `[Unit]
Description=sysroll testbed: relay to systemd's private bus socket for the host

[Socket]
ListenStream=` + busProxySocket + `
SocketMode=0600
`
	busProxyServiceDef = `[Unit]
Description=sysroll testbed: relay to systemd's private bus socket for the host

[Service]
ExecStart=/usr/lib/systemd/systemd-socket-proxyd /run/systemd/private
`
)

// startBusProxy installs and starts the relay behind BusAddress.
func (c *Container) startBusProxy(ctx context.Context) error {
	for name, def := range map[string]string{
		busProxyUnit + ".socket":  busProxySockDef,
		busProxyUnit + ".service": busProxyServiceDef,
	} {
		if err := c.WriteFile("/run/systemd/system/"+name, []byte(def), 0o644); err != nil {
			return fmt.Errorf("bus relay: %w", err)
		}
	}
	if _, err := c.Exec(ctx, "systemctl", "start", busProxyUnit+".socket"); err != nil {
		return fmt.Errorf("bus relay: %w", err)
	}
	return nil
}
