package host

import (
	"context"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// journalEntry is one line of `journalctl -o json` for unit.
func journalEntry(unitField, unit, msg string, prio, usec int) string {
	return `{"__REALTIME_TIMESTAMP":"` + strconv.Itoa(usec) + `","PRIORITY":"` + strconv.Itoa(prio) + `","` + unitField + `":"` + unit + `","MESSAGE":` + msg + "}\n"
}

func TestReadLogs(t *testing.T) {
	w := newWorld(t)
	w.install("shop", three)
	var gotArgs []string
	w.h.Journalctl = func(_ context.Context, args []string, out io.Writer) error {
		gotArgs = args
		_, err := io.WriteString(out,
			journalEntry("_SYSTEMD_UNIT", "shop@8081.service", `"listening on :8081"`, 6, 1000000)+
				journalEntry("UNIT", "shop@8082.service", `"shop@8082.service: Main process exited, code=exited, status=1/FAILURE"`, 4, 2000000)+
				journalEntry("_SYSTEMD_UNIT", "other.service", `"not ours"`, 6, 2500000)+
				"not json\n"+
				// Not valid UTF-8: journald sends bytes; no PRIORITY is info.
				`{"__REALTIME_TIMESTAMP":"3000000","_SYSTEMD_UNIT":"shop@8083.service","MESSAGE":[104,105,255]}`) // no newline at the end
		return err
	}
	var lines []LogLine
	if err := w.h.ReadLogs(t.Context(), LogsOptions{Service: "shop", Lines: 50}, func(l LogLine) error { lines = append(lines, l); return nil }); err != nil {
		t.Fatal(err)
	}
	wantArgs := []string{"--no-pager", "-o", "json", "-n", "50", "-u", "shop@8081.service", "-u", "shop@8082.service", "-u", "shop@8083.service"}
	if !slices.Equal(gotArgs, wantArgs) {
		t.Errorf("journalctl %q, want %q", gotArgs, wantArgs)
	}
	want := []LogLine{
		{Time: time.UnixMicro(1000000), Instance: "8081", Unit: "shop@8081.service", Message: "listening on :8081", Priority: 6},
		{Time: time.UnixMicro(2000000), Instance: "8082", Unit: "shop@8082.service", Message: "shop@8082.service: Main process exited, code=exited, status=1/FAILURE", Priority: 4},
		{Time: time.UnixMicro(3000000), Instance: "8083", Unit: "shop@8083.service", Message: "hi\uFFFD", Priority: 6},
	}
	if !slices.Equal(lines, want) {
		t.Errorf("lines\n got %+v\nwant %+v", lines, want)
	}

	// One instance, following, from the user's journal.
	w.h.User = true
	if err := w.h.ReadLogs(t.Context(), LogsOptions{Service: "shop", Instance: "8082", Lines: 5, Follow: true}, func(LogLine) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if want := []string{"--user", "--no-pager", "-o", "json", "-n", "5", "-f", "-u", "shop@8082.service"}; !slices.Equal(gotArgs, want) {
		t.Errorf("journalctl %q, want %q", gotArgs, want)
	}
}

func TestReadLogsRefusesWhatDoesNotExist(t *testing.T) {
	w := newWorld(t)
	w.install("shop", three)
	w.h.Journalctl = func(context.Context, []string, io.Writer) error { t.Fatal("journalctl ran"); return nil }
	err := w.h.ReadLogs(t.Context(), LogsOptions{Service: "shop", Instance: "9999", Lines: 50}, nil)
	wantInput(t, err, `service shop has no instance "9999"; its instances: 8081, 8082, 8083`)
	wantInput(t, w.h.ReadLogs(t.Context(), LogsOptions{Service: "nope"}, nil), "not installed")
	wantInput(t, w.h.ReadLogs(t.Context(), LogsOptions{Service: "shop", Lines: -1}, nil), "-n -1")
}

// -f ends with ctx (Ctrl-C): that is success; a journalctl that fails
// otherwise is a failed operation, not bad input.
func TestReadLogsFollowEndsWithTheContext(t *testing.T) {
	w := newWorld(t)
	w.install("shop", three)
	w.h.Journalctl = func(ctx context.Context, _ []string, out io.Writer) error {
		io.WriteString(out, journalEntry("_SYSTEMD_UNIT", "shop@8081.service", `"one"`, 6, 1))
		<-ctx.Done()
		return errors.New("signal: terminated")
	}
	ctx, cancel := context.WithCancel(t.Context())
	var got []string
	err := w.h.ReadLogs(ctx, LogsOptions{Service: "shop", Lines: 1, Follow: true}, func(l LogLine) error {
		got = append(got, l.Message)
		cancel()
		return nil
	})
	if err != nil || !slices.Equal(got, []string{"one"}) {
		t.Errorf("follow = %v, lines %q; want nil and the line", err, got)
	}

	w.h.Journalctl = func(context.Context, []string, io.Writer) error {
		return errors.New("exit status 1: No journal files were found.")
	}
	err = w.h.ReadLogs(t.Context(), LogsOptions{Service: "shop", Lines: 1}, func(LogLine) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "No journal files were found.") {
		t.Errorf("failed journalctl = %v", err)
	}
	if _, input := errors.AsType[*InputError](err); input {
		t.Errorf("a failed journalctl is bad input: %v", err)
	}
}

// An overlong entry is dropped whole, the next one still read.
func TestLineWriterCutsLongLines(t *testing.T) {
	var got []string
	lw := &lineWriter{max: 8, line: func(b []byte) error { got = append(got, string(b)); return nil }}
	for _, chunk := range []string{"short\nway too lo", "ng line\nok", "\n"} {
		if n, err := lw.Write([]byte(chunk)); err != nil || n != len(chunk) {
			t.Fatalf("Write(%q) = %d, %v", chunk, n, err)
		}
	}
	lw.flush()
	if !slices.Equal(got, []string{"short", "ok"}) {
		t.Errorf("lines %q", got)
	}
}
