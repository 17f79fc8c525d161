package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/schema"
)

// registerFleetFlags adds the flags the fleet controller runs the rollout
// verbs with: --events FILE and --fleet ID.
func (g *globals) registerFleetFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.Var(&eventsPath{&g.events}, "events", "also append every event, as --json prints it plus a \"seq\" number, to `FILE` (created 0600 if missing; its directory must exist); what `sysroll follow` reads")
	registerFleetID(cmd, &g.fleet)
}

// registerFleetID adds --fleet ID, checked as it is parsed: a bad ID is
// bad usage before anything is done.
func registerFleetID(cmd *cobra.Command, id *string) {
	cmd.Flags().Var(&fleetID{id}, "fleet", "the fleet rollout `ID` this is a host's part of, recorded in the rollout record (1 to 64 of a-z 0-9 -)")
}

// fleetID is a --fleet value: release.ValidFleetID.
type fleetID struct{ v *string }

func (f *fleetID) String() string {
	if f.v == nil {
		return ""
	}
	return *f.v
}
func (f *fleetID) Type() string { return "ID" }
func (f *fleetID) Set(s string) error {
	if err := release.ValidFleetID(s); err != nil {
		return err
	}
	*f.v = s
	return nil
}

// eventsPath is an --events value: not empty.
type eventsPath struct{ v *string }

func (e *eventsPath) String() string {
	if e.v == nil {
		return ""
	}
	return *e.v
}
func (e *eventsPath) Type() string { return "FILE" }
func (e *eventsPath) Set(s string) error {
	if s == "" {
		return errors.New("empty: give a file path, or leave the flag out")
	}
	*e.v = s
	return nil
}

// maxTail is how far back from its end openEvents reads an events file to
// find the last seq and a torn last line: more than any one event line.
const maxTail = 4 << 20

// eventsFile appends events to an --events FILE, one line per event, each
// written with a single write(2) on an O_APPEND descriptor, numbered by
// "seq" from the file's last line on. The file is flocked for the process's
// life: a second sysroll appending to it would interleave numbers.
//
// A line is complete only with its trailing newline: after a crash, the
// last line may be torn, and a reader (sysroll follow) holds such a line
// back. The next openEvents cuts it off, so that nothing is appended to a
// torn line and the numbering goes on from the last complete one.
//
// A failed write (a full disk) stops the appending, with one warning: the
// rollout goes on, and its record stays the truth.
type eventsFile struct {
	mu   sync.Mutex
	f    *os.File
	path string
	seq  uint64
	err  error
	warn io.Writer
}

// openEvents opens (or creates) path for appending events.
func openEvents(path string, warn io.Writer) (*eventsFile, error) {
	if path == "" {
		return nil, usagef("--events is empty: give a file path, or leave the flag out")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, usagef("--events %s: directory %s does not exist: create it first (sysroll creates only the file)", path, filepath.Dir(path))
	}
	if err != nil {
		return nil, usagef("--events: %w", err)
	}
	e := &eventsFile{f: f, path: path, warn: warn}
	if err := e.prepare(); err != nil {
		f.Close()
		return nil, err
	}
	return e, nil
}

// prepare checks the file, takes its lock, cuts off a torn last line and
// finds the last seq.
func (e *eventsFile) prepare() error {
	fi, err := e.f.Stat()
	if err != nil {
		return fmt.Errorf("--events %s: %w", e.path, err)
	}
	if !fi.Mode().IsRegular() {
		return usagef("--events %s: not a regular file (%s)", e.path, fi.Mode().Type())
	}
	if err := unix.Flock(int(e.f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return usagef("--events %s: another sysroll is appending to it (%v): give each rollout its own file", e.path, err)
	}
	size := fi.Size()
	if size == 0 {
		return nil
	}
	start := max(0, size-maxTail)
	r, err := os.Open(e.path)
	if err != nil {
		return fmt.Errorf("--events %s: %w", e.path, err)
	}
	defer r.Close()
	tail := make([]byte, size-start)
	if _, err := r.ReadAt(tail, start); err != nil {
		return fmt.Errorf("--events %s: read its end: %w", e.path, err)
	}
	complete := bytes.LastIndexByte(tail, '\n') + 1
	if complete < len(tail) {
		if complete == 0 && start > 0 {
			return fmt.Errorf("--events %s: its last %d bytes hold no line end: not an events file? give another", e.path, maxTail)
		}
		// A torn line: cut it off, so the next line starts a line.
		if err := e.f.Truncate(start + int64(complete)); err != nil {
			return fmt.Errorf("--events %s: cut off its torn last line: %w", e.path, err)
		}
	}
	e.seq = lastSeq(tail[:complete])
	return nil
}

// lastSeq is the highest seq of the complete lines in b (0 if none has
// one): lines that are not events are not counted.
func lastSeq(b []byte) uint64 {
	var hi uint64
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		var ev struct {
			Seq uint64 `json:"seq"`
		}
		if json.Unmarshal(line, &ev) == nil && ev.Seq > hi {
			hi = ev.Seq
		}
	}
	return hi
}

// Event appends ev with the next seq; at the end of a rollout it fsyncs,
// so the outcome survives a crash of the host right after.
func (e *eventsFile) Event(ev rollout.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err != nil {
		return
	}
	doc := schema.NewEvent(ev)
	doc.Seq = e.seq + 1
	line, err := json.Marshal(doc)
	if err != nil {
		e.fail(err)
		return
	}
	line = append(line, '\n')
	if err := writeOnce(e.f, line); err != nil {
		e.fail(err)
		return
	}
	e.seq++
	if ev.Type == rollout.EventRolloutEnd {
		if err := e.f.Sync(); err != nil {
			e.fail(err)
		}
	}
}

// writeOnce writes b with exactly one write(2) (retried only when it was
// interrupted before writing anything): a short write is an error, and
// leaves a torn line a reader recognizes.
func writeOnce(f *os.File, b []byte) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var n int
	var werr error
	if err := rc.Write(func(fd uintptr) bool {
		for {
			n, werr = unix.Write(int(fd), b)
			if werr != unix.EINTR {
				return true
			}
		}
	}); err != nil {
		return err
	}
	if werr != nil {
		return werr
	}
	if n < len(b) {
		return fmt.Errorf("short write: %d of %d bytes", n, len(b))
	}
	return nil
}

// fail stops the appending and says so once (e.mu held).
func (e *eventsFile) fail(err error) {
	e.err = err
	fmt.Fprintf(e.warn, "sysroll: warning: --events %s: %v; the events from here on are not in it (the rollout goes on; its record is in `sysroll history`)\n", e.path, err)
}

// close fsyncs and closes the file (dropping its lock).
func (e *eventsFile) close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var err error
	if e.err == nil {
		if err = e.f.Sync(); err != nil {
			err = fmt.Errorf("--events %s: %w", e.path, err)
		}
	}
	return errors.Join(err, e.f.Close())
}

// teeProgress passes every event to each of its displays.
type teeProgress []rollout.Progress

func (t teeProgress) Event(e rollout.Event) {
	for _, p := range t {
		p.Event(e)
	}
}
