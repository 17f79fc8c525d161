package safeio

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// ErrTooLarge is matched (errors.Is) by the error of a read that hit its bound.
var ErrTooLarge = errors.New("file too large")

// ErrNotRegular is matched by the error for a path that is not a regular file
// (a FIFO, a device, a directory, a socket).
var ErrNotRegular = errors.New("not a regular file")

// ReadFile reads the regular file at path, refusing one larger than limit
// bytes and anything that is not a regular file. It follows symbolic links
// (a user's own service file may be one); ReadFileNoFollow does not.
func ReadFile(path string, limit int64) ([]byte, error) {
	return readFile(path, limit, 0)
}

// ReadFileNoFollow is ReadFile for files sysroll owns (state, records,
// metadata): a symbolic link at path is refused, not followed, so a link
// planted in the state directory cannot make sysroll read another file.
func ReadFileNoFollow(path string, limit int64) ([]byte, error) {
	return readFile(path, limit, unix.O_NOFOLLOW)
}

func readFile(path string, limit int64, flags int) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then
	// refuses it. O_NOCTTY: a terminal device never becomes ours.
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY|flags, 0)
	if err != nil {
		if errors.Is(err, unix.ELOOP) && flags&unix.O_NOFOLLOW != 0 {
			return nil, &fs.PathError{Op: "open", Path: path, Err: errors.New("is a symbolic link; sysroll does not follow links in its state directory")}
		}
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w (%s)", ErrNotRegular, describeMode(fi.Mode()))}
	}
	if fi.Size() > limit {
		return nil, tooLarge(path, limit)
	}
	// The size may change under us: read at most limit+1 bytes whatever it said.
	data, err := ReadAll(f, limit)
	if errors.Is(err, ErrTooLarge) {
		return nil, tooLarge(path, limit)
	}
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	return data, nil
}

// ReadAll reads r to its end, or fails with ErrTooLarge once more than limit
// bytes have come.
func ReadAll(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: more than %s", ErrTooLarge, Size(limit))
	}
	return data, nil
}

func tooLarge(path string, limit int64) error {
	return &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w: more than the %s allowed", ErrTooLarge, Size(limit))}
}

func describeMode(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "mode " + m.String()
}

// Size renders a byte count for messages: "1 MiB", "64 KiB", "300 bytes".
func Size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
