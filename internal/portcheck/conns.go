package portcheck

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// tcpEstablished is the ESTABLISHED state in /proc/net/tcp.
const tcpEstablished = "01"

// Established returns the remote address of every established TCP
// connection to local port port, in this process's network namespace: who
// is still talking to an instance (drain.Agent waits until no load
// balancer is).
func (p Proc) Established(port int) ([]netip.AddrPort, error) {
	var out []netip.AddrPort
	for _, f := range []string{"net/tcp", "net/tcp6"} {
		found, err := established(filepath.Join(p.root(), f), port)
		if err != nil {
			return nil, err
		}
		out = append(out, found...)
	}
	return out, nil
}

// established parses one /proc/net/tcp{,6} file; a missing one (no IPv6)
// has none.
func established(path string, port int) ([]netip.AddrPort, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read connections: %w", err)
	}
	defer f.Close()
	var out []netip.AddrPort
	sc := bufio.NewScanner(f)
	sc.Scan() // the header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || fields[3] != tcpEstablished {
			continue
		}
		local, err := parseAddr(fields[1])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if int(local.Port()) != port {
			continue
		}
		remote, err := parseAddr(fields[2])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, remote)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}
