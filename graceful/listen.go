package graceful

import (
	"errors"
	"fmt"
	"net"
	"strings"
)

// NamedListener is an inherited listening socket with the name systemd gave
// it (FileDescriptorName=, by default the socket unit's name).
type NamedListener struct {
	Name string
	net.Listener
}

// Listeners returns the stream sockets passed by socket activation (see
// Files). Each listener owns a duplicate of the inherited descriptor; closing
// it closes the socket in this process only: systemd and every other
// instance sharing the socket keep it open and keep accepting. It fails if an
// inherited descriptor is not a listening stream socket.
func (e Env) Listeners() ([]NamedListener, error) {
	files, err := e.Files()
	if err != nil {
		return nil, err
	}
	listeners := make([]NamedListener, 0, len(files))
	for i, f := range files {
		l, err := net.FileListener(f)
		_ = f.Close() // FileListener made its own duplicate
		if err != nil {
			closeAll(files[i+1:])
			closeListeners(listeners)
			return nil, fmt.Errorf("socket activation: fd %d (%s) is not a stream listener: %w",
				e.firstFD()+i, f.Name(), err)
		}
		listeners = append(listeners, NamedListener{Name: f.Name(), Listener: l})
	}
	return listeners, nil
}

func closeListeners(ls []NamedListener) {
	for _, l := range ls {
		_ = l.Close()
	}
}

// errNoAddress is returned by Listen when there is nothing to listen on.
var errNoAddress = errors.New("no socket inherited from systemd and no address to listen on")

// Listen returns the inherited listener named name, or the only inherited one
// when name is empty; when systemd passed no socket it listens on the TCP
// address addr instead. Inherited sockets it does not return are closed (in
// this process only); use Listeners to take several.
func (e Env) Listen(name, addr string) (net.Listener, error) {
	l, _, err := e.listen(name, addr)
	return l, err
}

// listen is Listen that also tells whether the socket was inherited.
func (e Env) listen(name, addr string) (l net.Listener, inherited bool, err error) {
	passed, err := e.Listeners()
	if err != nil {
		return nil, false, err
	}
	if len(passed) == 0 {
		if addr == "" {
			return nil, false, errNoAddress
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, false, fmt.Errorf("listen: %w", err)
		}
		return l, false, nil
	}
	chosen, err := pick(passed, name)
	for _, p := range passed {
		if p.Listener != chosen {
			_ = p.Close()
		}
	}
	return chosen, true, err
}

func pick(ls []NamedListener, name string) (net.Listener, error) {
	names := make([]string, len(ls))
	for i, l := range ls {
		names[i] = l.Name
		if name != "" && l.Name == name {
			return l.Listener, nil
		}
	}
	if name == "" && len(ls) == 1 {
		return ls[0].Listener, nil
	}
	if name == "" {
		return nil, fmt.Errorf("systemd passed %d sockets (%s): choose one by name",
			len(ls), strings.Join(names, ", "))
	}
	return nil, fmt.Errorf("systemd passed no socket named %q (have %s)", name, strings.Join(names, ", "))
}

// Listeners reads the process's socket activation; see Env.Listeners.
func Listeners() ([]NamedListener, error) { return Env{}.Listeners() }

// Listen returns the inherited socket named name or listens on addr; see
// Env.Listen.
func Listen(name, addr string) (net.Listener, error) { return Env{}.Listen(name, addr) }
