package release

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sysroll/sysroll/internal/safeio"
)

// ErrLocked is matched (errors.Is) by every *LockedError.
var ErrLocked = errors.New("deploy lock held")

// LockInfo says who holds the deploy lock. Zero fields are filled in by
// Lock: PID with this process, User with the current user, Host with the
// hostname.
type LockInfo struct {
	User    string `json:"user"`
	PID     int    `json:"pid"`
	Command string `json:"command"` // e.g. "sysroll deploy hello ./hello"
	Host    string `json:"host,omitempty"`
}

// lockContent is what the lock file holds while locked.
type lockContent struct {
	LockInfo
	Since time.Time `json:"since"`
}

// LockedError is returned by Lock when another process holds the lock.
type LockedError struct {
	Service string
	Holder  LockInfo // zero if the holder could not be read
	Since   time.Time
}

func (e *LockedError) Error() string {
	msg := "rollout of " + e.Service + " already running"
	if e.Holder.PID == 0 {
		return msg + " (holder unknown)"
	}
	msg += fmt.Sprintf(": pid %d", e.Holder.PID)
	if e.Holder.User != "" {
		msg += " user " + e.Holder.User
	}
	if !e.Since.IsZero() {
		since, now := e.Since.Local(), time.Now()
		layout := "15:04:05"
		if since.Format(time.DateOnly) != now.Format(time.DateOnly) {
			layout = time.DateTime
		}
		msg += " since " + since.Format(layout)
	}
	if e.Holder.Command != "" {
		msg += " (" + e.Holder.Command + ")"
	}
	return msg
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Lock is a held deploy lock.
type Lock struct {
	mu sync.Mutex
	f  *os.File
}

// contentionRetries and contentionWait let Lock ride out a brief probe of the
// lock by Unfinished or another Lock attempt instead of failing at once.
const (
	contentionRetries = 5
	contentionWait    = 20 * time.Millisecond
)

// Lock takes the service's deploy lock without waiting: one rollout per
// service at a time. If another process holds it, the error is a
// *LockedError naming the holder. The lock is an flock(2), so the kernel
// releases it when its holder dies, however it dies: there are no stale
// locks to clean up, and the holder info left in the file then means
// nothing.
//
// The lock file is opened without following a link and must be a regular
// file: anything else planted there (a link to a file sysroll would then
// truncate, a FIFO, a directory) is quarantined and a fresh lock file made.
// Once locked, the leftovers of killed runs are cleaned (cleanLeftovers).
func (s *Store) Lock(info LockInfo) (*Lock, error) {
	f, err := openLockFile(filepath.Join(s.dir, lockFile), lockWhat)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", s.name, err)
	}
	for i := 0; ; i++ {
		err = flock(f, unix.LOCK_EX|unix.LOCK_NB)
		if err != unix.EWOULDBLOCK || i == contentionRetries {
			break
		}
		time.Sleep(contentionWait)
	}
	if err == unix.EWOULDBLOCK {
		f.Close()
		holder, _, _ := s.lockHolder()
		return nil, &LockedError{Service: s.name, Holder: holder.LockInfo, Since: holder.Since}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", s.name, err)
	}
	content := lockContent{LockInfo: fillLockInfo(info), Since: time.Now()}
	data, _ := json.Marshal(content)
	if err = f.Truncate(0); err == nil {
		_, err = f.WriteAt(append(data, '\n'), 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: write holder: %w", s.name, err)
	}
	s.cleanLeftovers()
	return &Lock{f: f}, nil
}

// openLockFile opens (creating it) a lock file, refusing to follow a link
// or to open anything but a regular file; such a thing is quarantined once
// and the open retried.
func openLockFile(path, what string) (*os.File, error) {
	for attempt := 0; ; attempt++ {
		f, err := openNoFollow(path, what, unix.O_RDWR|unix.O_CREAT)
		if err == nil {
			return f, nil
		}
		ce, ok := errors.AsType[*CorruptError](err)
		if !ok || attempt > 0 {
			return nil, err
		}
		if qerr := quarantine(ce); ce.Moved == "" {
			return nil, qerr
		}
	}
}

// openNoFollow opens a file sysroll keeps in its state dir: never through
// a link, never blocking on a FIFO, and only if it is a regular file. What
// else is there is a *CorruptError.
func openNoFollow(path, what string, flags int) (*os.File, error) {
	fd, err := unix.Open(path, flags|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOCTTY, 0o600)
	if errors.Is(err, unix.ELOOP) {
		return nil, &CorruptError{What: what, Path: path, Err: errors.New("is a symbolic link, which sysroll never follows in its state directory")}
	}
	// A directory (EISDIR, for a write open) or a socket (ENXIO) fails
	// the open itself, before the stat below could tell: it is just as
	// foreign, and must not block every verb that locks.
	if errors.Is(err, unix.EISDIR) {
		return nil, &CorruptError{What: what, Path: path, Err: errors.New("is not a regular file (a directory)")}
	}
	if errors.Is(err, unix.ENXIO) {
		return nil, &CorruptError{What: what, Path: path, Err: errors.New("is not a regular file (a socket or device without a driver)")}
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = &CorruptError{What: what, Path: path, Err: fmt.Errorf("is not a regular file (%s)", fi.Mode().Type())}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

const lockWhat = "deploy lock"

// cleanLeftovers removes, under the deploy lock, what killed runs left:
// staging directories and temporary files (under the stage lock too), and
// temporary files of record writes, which only a lock holder makes. It is
// best effort: a leftover that cannot be removed now is tried again at the
// next run, and must not stop this one.
func (s *Store) cleanLeftovers() {
	if unlock, err := s.stageLock(); err == nil {
		_ = s.cleanStaging()
		unlock()
	}
	dir := filepath.Join(s.dir, rolloutsDir)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if n := e.Name(); strings.HasPrefix(n, ".") && strings.Contains(n, tmpPrefix) && !e.IsDir() {
			_ = os.Remove(filepath.Join(dir, n))
		}
	}
}

// Unlock releases the lock. Calling it again does nothing.
func (l *Lock) Unlock() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	// Clear the holder first, so no one reads it once the lock is free.
	l.f.Truncate(0)
	err := l.f.Close() // closing the only descriptor releases the flock
	l.f = nil
	return err
}

// lockHolder reads the lock file and tells whether the lock is held now,
// by probing it with a shared lock that is dropped at once.
func (s *Store) lockHolder() (lockContent, bool, error) {
	path := filepath.Join(s.dir, lockFile)
	f, err := openNoFollow(path, lockWhat, unix.O_RDONLY)
	if errors.Is(err, os.ErrNotExist) {
		return lockContent{}, false, nil
	}
	if err != nil {
		return lockContent{}, false, err
	}
	defer f.Close()
	if err := flock(f, unix.LOCK_SH|unix.LOCK_NB); err == nil {
		return lockContent{}, false, nil // free; closing drops our probe
	} else if err != unix.EWOULDBLOCK {
		return lockContent{}, false, err
	}
	// The holder writes its info just after locking: give it a moment.
	var c lockContent
	for range 5 {
		// Bounded, from the descriptor already vetted: garbage or a huge
		// file there only makes the holder unknown.
		data, err := safeio.ReadAll(io.NewSectionReader(f, 0, maxLockSize+1), maxLockSize)
		if err == nil && json.Unmarshal(data, &c) == nil && c.PID != 0 {
			return c, true, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return lockContent{}, true, nil
}

func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			return err
		}
	}
}

func fillLockInfo(info LockInfo) LockInfo {
	if info.PID == 0 {
		info.PID = os.Getpid()
	}
	if info.User == "" {
		if u, err := user.Current(); err == nil {
			info.User = u.Username
		}
	}
	if info.Host == "" {
		info.Host, _ = os.Hostname()
	}
	info.Command = strings.TrimSpace(info.Command)
	return info
}
