package release

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// Whoever can write in the state directory decides what sysroll runs (the
// installed service.yaml names the commands and hooks, the releases are
// what instances execute), so sysroll trusts it only if nobody else can:
// the state directory and every directory sysroll keeps in it must be real
// directories (not links), owned by the running user or root, and writable
// by their owner alone; every directory above it must be owned by the
// running user or root and not writable by group or others, unless it has
// the sticky bit (like /tmp), where others cannot rename or remove what is
// not theirs. The directories above may be links (a /var/lib/sysroll moved
// to another disk): what is checked is where they lead.

// SecureDir creates dir (0755, and any missing parent 0755, exactly,
// whatever the umask) unless it exists, and verifies it as described
// above. install uses it for the state dir it writes applied.json in.
func SecureDir(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := mkdirAll(abs, 0o755); err != nil {
		return err
	}
	if err := checkAbove(filepath.Dir(abs)); err != nil {
		return err
	}
	return checkOwned(abs)
}

// checkOwned verifies one directory sysroll keeps state in.
func checkOwned(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return &UntrustedError{Path: path, Info: fi, Rule: "is not a directory but " + DescribeType(fi.Mode()) +
			"; sysroll never follows links in its state directory", Fix: "rm " + path + " (sysroll creates the directory again)"}
	}
	return checkMode(path, fi, false)
}

// checkAbove verifies dir and each directory above it, following links.
func checkAbove(dir string) error {
	for {
		fi, err := os.Stat(dir)
		if err != nil {
			return err
		}
		if err := checkMode(dir, fi, true); err != nil {
			return err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil
		}
		dir = parent
	}
}

func checkMode(path string, fi fs.FileInfo, stickyOK bool) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil // not a Unix filesystem: nothing to check against
	}
	me := os.Geteuid()
	if int(st.Uid) != me && st.Uid != 0 {
		return &UntrustedError{Path: path, Info: fi, Rule: "is owned by " + userName(st.Uid) + ", not by you (" + userName(uint32(me)) + ") or root",
			Fix: "chown " + userName(uint32(me)) + " " + path}
	}
	if fi.Mode().Perm()&0o022 != 0 && !(stickyOK && fi.Mode()&fs.ModeSticky != 0) {
		return &UntrustedError{Path: path, Info: fi, Rule: "is writable by its group or by others", Fix: "chmod go-w " + path}
	}
	return nil
}

// UntrustedError is a state directory (or a directory above it) that
// someone other than the running user or root can change.
type UntrustedError struct {
	Path string
	Info fs.FileInfo
	Rule string
	Fix  string
}

func (e *UntrustedError) Error() string {
	owner := "?"
	if st, ok := e.Info.Sys().(*syscall.Stat_t); ok {
		owner = userName(st.Uid)
	}
	return fmt.Sprintf("refusing to use the state directory: %s (owner %s, mode %s) %s; whoever can change it could change what sysroll runs. Fix: %s",
		e.Path, owner, e.Info.Mode(), e.Rule, e.Fix)
}

// ErrUntrusted is matched (errors.Is) by every *UntrustedError.
var ErrUntrusted = errors.New("untrusted state directory")

// Is makes errors.Is(err, ErrUntrusted) true.
func (e *UntrustedError) Is(target error) bool { return target == ErrUntrusted }

func userName(uid uint32) string {
	id := strconv.FormatUint(uint64(uid), 10)
	if u, err := user.LookupId(id); err == nil {
		return u.Username
	}
	return "uid " + id
}
