package portcheck

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Proc is the Table of the running system, read from /proc.
type Proc struct {
	// Root is where proc is mounted; "" is /proc.
	Root string
}

var _ Table = Proc{}

func (p Proc) root() string {
	if p.Root == "" {
		return "/proc"
	}
	return p.Root
}

// Listeners implements Table. The sockets are those of the network
// namespace this process is in; their holders are found among the
// processes this /proc shows.
func (p Proc) Listeners(port int) ([]Listener, error) {
	var ls []Listener
	for _, f := range []string{"net/tcp", "net/tcp6"} {
		found, err := listening(filepath.Join(p.root(), f), port)
		if err != nil {
			return nil, err
		}
		ls = append(ls, found...)
	}
	if len(ls) == 0 {
		return nil, nil
	}
	holders := p.holders(ls)
	for i := range ls {
		if pid, ok := holders[ls[i].Inode]; ok {
			ls[i].PID = pid
			ls[i].Command = p.comm(pid)
			ls[i].Unit = p.unit(pid)
		}
	}
	return ls, nil
}

// tcpListen is the LISTEN state in /proc/net/tcp (include/net/tcp_states.h).
const tcpListen = "0A"

// listening parses one /proc/net/tcp{,6} file for sockets listening on
// port. A missing file (no IPv6) has none.
func listening(path string, port int) ([]Listener, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read listening sockets: %w", err)
	}
	defer f.Close()
	var out []Listener
	sc := bufio.NewScanner(f)
	sc.Scan() // the header
	for sc.Scan() {
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || fields[3] != tcpListen {
			continue
		}
		addr, err := parseAddr(fields[1])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if int(addr.Port()) != port {
			continue
		}
		inode, err := strconv.ParseUint(fields[9], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: inode %q: %w", path, fields[9], err)
		}
		out = append(out, Listener{Addr: addr, Inode: inode})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}

// parseAddr parses the kernel's "0100007F:1F90": the address as 32-bit
// words in host (little-endian) order, the port in big-endian hex.
func parseAddr(s string) (netip.AddrPort, error) {
	a, p, ok := strings.Cut(s, ":")
	port, err := strconv.ParseUint(p, 16, 16)
	raw, herr := hex.DecodeString(a)
	if !ok || err != nil || herr != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, fmt.Errorf("bad local address %q", s)
	}
	for i := 0; i < len(raw); i += 4 {
		binary.BigEndian.PutUint32(raw[i:], binary.LittleEndian.Uint32(raw[i:]))
	}
	ip, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(ip.Unmap(), uint16(port)), nil
}

// holders maps each listener's socket inode to a process holding it, by
// reading every process's fds (those it may not read are skipped).
func (p Proc) holders(ls []Listener) map[uint64]int {
	want := map[string]uint64{}
	for _, l := range ls {
		want[fmt.Sprintf("socket:[%d]", l.Inode)] = l.Inode
	}
	out := map[uint64]int{}
	procs, _ := os.ReadDir(p.root())
	for _, d := range procs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		fdDir := filepath.Join(p.root(), d.Name(), "fd")
		fds, _ := os.ReadDir(fdDir)
		for _, fd := range fds {
			target, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
			if err != nil {
				continue
			}
			if inode, ok := want[target]; ok {
				if _, seen := out[inode]; !seen {
					out[inode] = pid
				}
			}
		}
		if len(out) == len(want) {
			break
		}
	}
	return out
}

func (p Proc) comm(pid int) string {
	b, err := os.ReadFile(filepath.Join(p.root(), strconv.Itoa(pid), "comm"))
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}

// unit is the systemd unit of pid, from its cgroup.
func (p Proc) unit(pid int) string {
	b, err := os.ReadFile(filepath.Join(p.root(), strconv.Itoa(pid), "cgroup"))
	if err != nil {
		return ""
	}
	return UnitOfCgroup(string(b))
}

// UnitOfCgroup finds the systemd unit in the contents of /proc/PID/cgroup:
// in the unified hierarchy's line ("0::/system.slice/x.service"), else in
// the legacy name=systemd one (hybrid setups keep the units there).
func UnitOfCgroup(cgroup string) string {
	var unified, legacy string
	for _, line := range strings.Split(cgroup, "\n") {
		parts := strings.SplitN(line, ":", 3)
		switch {
		case len(parts) != 3:
		case parts[0] == "0" && parts[1] == "":
			unified = parts[2]
		case parts[1] == "name=systemd":
			legacy = parts[2]
		}
	}
	if u := unitOfPath(unified); u != "" {
		return u
	}
	return unitOfPath(legacy)
}

// unitOfPath is the innermost element of a cgroup path that names a unit:
// a delegated service may have cgroups of its own below its unit's.
func unitOfPath(path string) string {
	elems := strings.Split(path, "/")
	for i := len(elems) - 1; i >= 0; i-- {
		for _, suffix := range []string{".service", ".scope", ".socket", ".mount", ".swap"} {
			if strings.HasSuffix(elems[i], suffix) {
				return elems[i]
			}
		}
	}
	return ""
}
