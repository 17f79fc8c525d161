package graceful

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The environment variables of systemd's protocols (sd_listen_fds(3),
// sd_notify(3), sd_watchdog_enabled(3)).
const (
	envListenPID     = "LISTEN_PID"
	envListenFDs     = "LISTEN_FDS"
	envListenFDNames = "LISTEN_FDNAMES"
	envNotifySocket  = "NOTIFY_SOCKET"
	envWatchdogUsec  = "WATCHDOG_USEC"
	envWatchdogPID   = "WATCHDOG_PID"
)

// listenFDsStart is SD_LISTEN_FDS_START: systemd passes sockets from fd 3 on.
const listenFDsStart = 3

// defaultFDName is what libsystemd reports for an fd without a name.
const defaultFDName = "unknown"

// Env is where graceful reads systemd's protocol variables from. The zero
// value reads the real process environment and inherited descriptors; tests
// fill in the fields to feed a fake environment and descriptors they created.
type Env struct {
	// Getenv reads a variable; nil means os.Getenv.
	Getenv func(key string) string
	// Unsetenv removes a variable; nil means os.Unsetenv. Activation
	// variables are removed after reading so that child processes do not
	// mistake the sockets for theirs.
	Unsetenv func(key string) error
	// Pid is this process's id, which LISTEN_PID and WATCHDOG_PID must name
	// for the variables to apply; 0 means os.Getpid().
	Pid int
	// FirstFD is the first inherited descriptor; 0 means 3
	// (SD_LISTEN_FDS_START). Tests dup their sockets to a free range and
	// point FirstFD at it.
	FirstFD int
}

func (e Env) getenv(key string) string {
	if e.Getenv != nil {
		return e.Getenv(key)
	}
	return os.Getenv(key)
}

func (e Env) unsetenv(keys ...string) {
	unset := e.Unsetenv
	if unset == nil {
		unset = os.Unsetenv
	}
	for _, k := range keys {
		_ = unset(k) // never fails on unix; nothing useful to do if it did
	}
}

func (e Env) pid() int {
	if e.Pid != 0 {
		return e.Pid
	}
	return os.Getpid()
}

func (e Env) firstFD() int {
	if e.FirstFD != 0 {
		return e.FirstFD
	}
	return listenFDsStart
}

// Files returns the descriptors passed by socket activation, in order, each
// named after its FileDescriptorName= (f.Name()). It returns nil when nothing
// was passed to this process: LISTEN_PID unset or naming another process
// (the variables were inherited from a parent). It unsets LISTEN_PID,
// LISTEN_FDS and LISTEN_FDNAMES in every case, so a second call returns nil.
// The descriptors are marked close-on-exec.
func (e Env) Files() ([]*os.File, error) {
	defer e.unsetenv(envListenPID, envListenFDs, envListenFDNames)

	pidText := e.getenv(envListenPID)
	if pidText == "" {
		return nil, nil
	}
	pid, err := strconv.Atoi(pidText)
	if err != nil {
		return nil, fmt.Errorf("socket activation: %s=%q: %w", envListenPID, pidText, err)
	}
	if pid != e.pid() {
		return nil, nil
	}
	countText := e.getenv(envListenFDs)
	if countText == "" {
		return nil, nil
	}
	count, err := strconv.Atoi(countText)
	if err != nil || count < 0 {
		return nil, fmt.Errorf("socket activation: %s=%q is not a count", envListenFDs, countText)
	}
	var names []string
	if v := e.getenv(envListenFDNames); v != "" {
		names = strings.Split(v, ":")
	}
	if len(names) != count {
		names = nil // systemd always sends one name per fd; anything else is not trusted
	}

	files := make([]*os.File, 0, count)
	for i := range count {
		fd := e.firstFD() + i
		name := defaultFDName
		if names != nil && names[i] != "" {
			name = names[i]
		}
		if err := checkOpen(fd); err != nil {
			closeAll(files)
			return nil, fmt.Errorf("socket activation: fd %d (%s): %w", fd, name, err)
		}
		syscall.CloseOnExec(fd)
		files = append(files, os.NewFile(uintptr(fd), name))
	}
	return files, nil
}

// checkOpen fails when fd is not an open descriptor, so a wrong LISTEN_FDS
// is reported instead of wrapping some random or closed fd.
func checkOpen(fd int) error {
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return fmt.Errorf("announced but not usable: %w", err)
	}
	return nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		_ = f.Close()
	}
}

// WatchdogTimeout returns the service's watchdog timeout (WatchdogSec=), or 0
// when the watchdog is off or meant for another process. Unlike the
// activation variables, these are left set: they are harmless to children.
func (e Env) WatchdogTimeout() (time.Duration, error) {
	usecText := e.getenv(envWatchdogUsec)
	if usecText == "" {
		return 0, nil
	}
	if pidText := e.getenv(envWatchdogPID); pidText != "" {
		pid, err := strconv.Atoi(pidText)
		if err != nil {
			return 0, fmt.Errorf("watchdog: %s=%q: %w", envWatchdogPID, pidText, err)
		}
		if pid != e.pid() {
			return 0, nil
		}
	}
	usec, err := strconv.ParseInt(usecText, 10, 64)
	if err != nil || usec <= 0 {
		return 0, fmt.Errorf("watchdog: %s=%q is not a positive number", envWatchdogUsec, usecText)
	}
	return time.Duration(usec) * time.Microsecond, nil
}

// Notifier returns a SocketNotifier for NOTIFY_SOCKET, or a no-op Notifier
// when the variable is unset (not started by systemd, or Type=simple without
// NotifyAccess). NOTIFY_SOCKET is left set: with the default NotifyAccess=main
// systemd ignores messages from children anyway.
func (e Env) Notifier() Notifier {
	addr := e.getenv(envNotifySocket)
	if addr == "" {
		return NopNotifier{}
	}
	return SocketNotifier{Addr: addr}
}
