package host

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/proc"
	"github.com/sysroll/sysroll/internal/unitfile"
)

// LogsOptions says which journal lines ReadLogs shows.
type LogsOptions struct {
	Service string
	// Instance is the one instance to show; "" is all, interleaved.
	Instance string
	// Lines is how many of the newest lines to show (journalctl -n).
	Lines int
	// Follow keeps showing new lines until ctx ends (journalctl -f).
	Follow bool
}

// LogLine is one journal entry of an instance.
type LogLine struct {
	Time     time.Time `json:"time"`
	Instance string    `json:"instance"`
	Unit     string    `json:"unit"`
	Message  string    `json:"message"`
	// Priority is syslog's: 0 emerg … 3 err, 4 warning, 6 info, 7 debug.
	Priority int `json:"priority"`
}

// MaxLogLines bounds LogsOptions.Lines.
const MaxLogLines = 100000

// ReadLogs passes the journal lines of a service's instances to emit,
// oldest first, read with journalctl (the only reader of the journal's
// files we can count on), from the user's journal with User. With Follow
// it returns nil when ctx ends (Ctrl-C is how one stops following).
func (h *Host) ReadLogs(ctx context.Context, opts LogsOptions, emit func(LogLine) error) error {
	svc, _, err := h.loadInstalled(opts.Service)
	if err != nil {
		return err
	}
	if opts.Lines < 0 || opts.Lines > MaxLogLines {
		return inputf("-n %d: want 0 to %d lines", opts.Lines, MaxLogLines)
	}
	units := map[string]string{} // unit -> instance
	names := svc.InstanceNames()
	if opts.Instance != "" {
		found := false
		for _, n := range names {
			found = found || n == opts.Instance
		}
		if !found {
			return inputf("service %s has no instance %q; its instances: %s", svc.Name, opts.Instance, strings.Join(names, ", "))
		}
		names = []string{opts.Instance}
	}
	args := []string{"--no-pager", "-o", "json", "-n", strconv.Itoa(opts.Lines)}
	if h.User {
		args = append([]string{"--user"}, args...)
	}
	if opts.Follow {
		args = append(args, "-f")
	}
	for _, n := range names {
		u := unitfile.InstanceUnit(svc.Name, n)
		units[u] = n
		args = append(args, "-u", u)
	}
	var emitErr error
	lw := &lineWriter{max: maxJournalLine, line: func(b []byte) error {
		l, ok := parseJournalEntry(b, units)
		if !ok {
			return nil
		}
		if err := emit(l); err != nil {
			emitErr = err
			return err
		}
		return nil
	}}
	runErr := h.journalctl()(ctx, args, lw)
	lw.flush()
	switch {
	case emitErr != nil:
		return emitErr
	case ctx.Err() != nil && opts.Follow:
		return nil // followed until told to stop
	case runErr != nil:
		return fmt.Errorf("logs %s: journalctl: %w", svc.Name, runErr)
	}
	return nil
}

// maxJournalLine bounds one JSON entry read from journalctl: a longer one
// (an app that logs megabyte lines) is cut and dropped.
const maxJournalLine = 1 << 20

func (h *Host) journalctl() func(ctx context.Context, args []string, stdout io.Writer) error {
	if h.Journalctl != nil {
		return h.Journalctl
	}
	return runJournalctl
}

// runJournalctl runs journalctl through proc: its own process group,
// killed when ctx ends (the end of -f), stderr kept for the error.
func runJournalctl(ctx context.Context, args []string, stdout io.Writer) error {
	cmd := proc.Command(ctx, "journalctl", args...)
	stderr := proc.NewTail(1024)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = 500 * time.Millisecond
	if err := proc.Run(cmd); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return fmt.Errorf("%w: %s", err, msg)
		}
		return err
	}
	return nil
}

// parseJournalEntry reads one entry of `journalctl -o json`. The unit is
// the first of the entry's unit fields that is one of units: the process's
// own (_SYSTEMD_UNIT) or, for systemd's messages about it ("Started",
// "Main process exited"), UNIT; the USER_ forms in a user's journal.
func parseJournalEntry(b []byte, units map[string]string) (LogLine, bool) {
	var e map[string]json.RawMessage
	if err := json.Unmarshal(b, &e); err != nil {
		return LogLine{}, false
	}
	str := func(k string) string {
		var s string
		if raw, ok := e[k]; ok && json.Unmarshal(raw, &s) != nil {
			// journald gives a field that is not valid UTF-8 as an
			// array of bytes.
			var bs []byte
			var ints []int
			if json.Unmarshal(raw, &ints) == nil {
				for _, i := range ints {
					bs = append(bs, byte(i))
				}
				s = strings.ToValidUTF8(string(bs), "\uFFFD")
			}
		}
		return s
	}
	var l LogLine
	for _, k := range []string{"_SYSTEMD_UNIT", "UNIT", "_SYSTEMD_USER_UNIT", "USER_UNIT", "OBJECT_SYSTEMD_UNIT"} {
		if inst, ok := units[str(k)]; ok {
			l.Unit, l.Instance = str(k), inst
			break
		}
	}
	if l.Unit == "" {
		return LogLine{}, false
	}
	l.Message = str("MESSAGE")
	if us, err := strconv.ParseInt(str("__REALTIME_TIMESTAMP"), 10, 64); err == nil {
		l.Time = time.UnixMicro(us)
	}
	l.Priority = 6 // info, journald's default
	if p, err := strconv.Atoi(str("PRIORITY")); err == nil {
		l.Priority = p
	}
	return l, true
}

// lineWriter calls line for every complete line written to it, each cut
// to max bytes (the rest of an overlong line is dropped).
type lineWriter struct {
	max  int
	line func([]byte) error
	buf  []byte
	skip bool // dropping the rest of an overlong line
}

func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		if !w.skip {
			if room := w.max - len(w.buf); len(chunk) > room {
				chunk, w.skip = chunk[:room], true
			}
			w.buf = append(w.buf, chunk...)
		}
		if i < 0 {
			break
		}
		p = p[i+1:]
		err := w.emit()
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (w *lineWriter) emit() error {
	b, skipped := w.buf, w.skip
	w.buf, w.skip = w.buf[:0:0], false
	if skipped || len(b) == 0 {
		return nil // a cut JSON entry does not parse anyway
	}
	return w.line(b)
}

// flush passes on a last line without a newline.
func (w *lineWriter) flush() { _ = w.emit() }
