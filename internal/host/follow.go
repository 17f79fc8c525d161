package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/systemd"
)

// FollowOptions says what Follow follows.
type FollowOptions struct {
	// File is an events file (--events FILE of the rollout verbs).
	File string
	// From is the byte offset to start at: 0, or the end of a line the
	// follower saw (the sum of the lengths of the lines it got).
	From int64
	// Unit is the transient unit writing File (systemd-run --unit); a name
	// without a type suffix is a .service.
	Unit string
	// Poll is how often the file and the unit are looked at; 0 is
	// DefaultFollowPoll.
	Poll time.Duration
}

// DefaultFollowPoll is Follow's poll interval: a fleet controller's view
// lags the host by at most this, and so does its seeing a step's end,
// which the next host batch waits on. 50 ms, not 200: on a 10-host fleet
// with max_parallel 1, 200 ms cost about 0.7 s of a 50 s rollout
// (internal/e2e/fleetbench, docs/fleet-bench.md);
// a poll is one D-Bus property read and one read of the file.
const DefaultFollowPoll = 50 * time.Millisecond

// maxEventLine bounds one line Follow passes on: an events line is a few
// KB; a file without line ends is not an events file.
const maxEventLine = 16 << 20

// Follow copies the complete lines of File from From on to w, verbatim, one
// Write per line, and keeps following the file until Unit is no longer
// active and everything it wrote is copied. So a fleet controller whose
// SSH session dropped reconnects with From = the offset it had reached and
// gets exactly the rest. A torn last line (no newline yet) is held back
// until completed, and never copied if the unit ended without completing
// it. Follow only reads: killing it changes nothing on the host.
func (h *Host) Follow(ctx context.Context, opts FollowOptions, w io.Writer) error {
	unit, err := followUnit(opts.Unit)
	if err != nil {
		return err
	}
	if opts.From < 0 {
		return inputf("--from %d: an offset is 0 or more", opts.From)
	}
	m, err := h.connect(ctx)
	if err != nil {
		return err
	}
	defer m.Close()
	active := func(ctx context.Context) (bool, error) {
		u, err := m.Unit(ctx, unit)
		if err != nil {
			return false, fmt.Errorf("follow %s: state of %s: %w", opts.File, unit, err)
		}
		return unitRunning(u.ActiveState), nil
	}
	poll := opts.Poll
	if poll <= 0 {
		poll = DefaultFollowPoll
	}
	wait := func(ctx context.Context) error {
		t := time.NewTimer(poll)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		}
	}
	return follow(ctx, opts.File, opts.From, active, wait, w)
}

// followUnit checks a --unit name and gives a bare one its .service.
func followUnit(unit string) (string, error) {
	if unit == "" {
		return "", inputf("follow needs --unit UNIT: the transient unit writing the file (systemd-run --unit)")
	}
	for i := 0; i < len(unit); i++ {
		c := unit[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(":-_.\\@", c) >= 0) {
			return "", inputf("--unit %q: byte %d is not allowed in a unit name", unit, i)
		}
	}
	if len(unit) > 255 {
		return "", inputf("--unit %q: longer than systemd's 255", unit)
	}
	if !strings.Contains(unit, ".") {
		unit += ".service"
	}
	return unit, nil
}

// unitRunning says whether a unit in state s may still write.
func unitRunning(s systemd.ActiveState) bool {
	switch s {
	case systemd.Active, systemd.Activating, systemd.Deactivating, systemd.Reloading:
		return true
	}
	return false
}

// follow is Follow's loop, with the unit's state and the wait between
// polls as functions (for tests). The unit's state is read before the
// file, so a unit seen ended has written everything the read that
// follows finds: nothing it wrote is left out.
func follow(ctx context.Context, path string, from int64, active func(context.Context) (bool, error), wait func(context.Context) error, w io.Writer) error {
	var f *os.File
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	pos := from
	for {
		running, err := active(ctx)
		if err != nil {
			return err
		}
		if f == nil {
			f, err = os.Open(path)
			switch {
			case errors.Is(err, fs.ErrNotExist) && running:
				// The unit has not opened it yet.
			case err != nil && running:
				return fmt.Errorf("follow: %w", err)
			case errors.Is(err, fs.ErrNotExist):
				return fmt.Errorf("follow: %s does not exist and the unit writing it is not running: check the path, and `systemctl status` the unit", path)
			case err != nil:
				return fmt.Errorf("follow: %w", err)
			default:
				if err := checkFrom(f, path, from); err != nil {
					return err
				}
			}
		}
		if f != nil {
			if pos, err = copyLines(f, path, pos, w); err != nil {
				return err
			}
		}
		if !running {
			return nil
		}
		if err := wait(ctx); err != nil {
			return err
		}
	}
}

// checkFrom refuses an offset that is not the start of a line of f: one
// past its end (another file than the follower read before?) or inside a
// line (not an offset a follower could have reached).
func checkFrom(f *os.File, path string, from int64) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("follow: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return inputf("follow %s: not a regular file", path)
	}
	if from > fi.Size() {
		return inputf("--from %d is past the end of %s (%d bytes): not the file that offset was read from?", from, path, fi.Size())
	}
	if from == 0 {
		return nil
	}
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, from-1); err != nil {
		return fmt.Errorf("follow %s: %w", path, err)
	}
	if b[0] != '\n' {
		return inputf("--from %d is inside a line of %s: give 0 or the offset after a line the follower got", from, path)
	}
	return nil
}

// copyLines writes each complete line of f from pos on to w and returns the
// offset after the last one. What follows it (a line still being written)
// is read again next time: it is not kept, so a torn line that is cut off
// and replaced is never mixed into the next.
func copyLines(f *os.File, path string, pos int64, w io.Writer) (int64, error) {
	buf := make([]byte, 64<<10)
	var pending []byte
	for {
		n, err := f.ReadAt(buf, pos+int64(len(pending)))
		chunk := append(pending, buf[:n]...)
		for {
			i := bytes.IndexByte(chunk, '\n')
			if i < 0 {
				break
			}
			if _, werr := w.Write(chunk[:i+1]); werr != nil {
				return pos, fmt.Errorf("follow: write: %w", werr)
			}
			pos += int64(i + 1)
			chunk = chunk[i+1:]
		}
		if len(chunk) > maxEventLine {
			return pos, fmt.Errorf("follow %s: a line at offset %d is longer than %d bytes: not an events file", path, pos, maxEventLine)
		}
		pending = append([]byte(nil), chunk...)
		if errors.Is(err, io.EOF) || n == 0 && err == nil {
			return pos, nil
		}
		if err != nil {
			return pos, fmt.Errorf("follow %s: %w", path, err)
		}
	}
}
