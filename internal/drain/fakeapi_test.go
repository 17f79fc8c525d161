package drain

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeAPI is HAProxy's runtime API as the tests script it: a unix socket
// serving one command per connection, answered by the test's function.
type fakeAPI struct {
	path string
	mu   sync.Mutex
	cmds []string
}

// startFakeAPI serves answer on a new unix socket until the test ends.
// answer gets the command without its newline and returns the raw reply
// (HAProxy ends each with an empty line; answer must add it).
func startFakeAPI(t *testing.T, answer func(cmd string) string) *fakeAPI {
	t.Helper()
	// Not t.TempDir: a unix socket path must stay under 108 bytes.
	dir, err := os.MkdirTemp("", "hx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	f := &fakeAPI{path: filepath.Join(dir, "admin.sock")}
	ln, err := net.Listen("unix", f.path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer func() { _ = c.Close() }()
				line, err := bufio.NewReader(c).ReadString('\n')
				if err != nil {
					return
				}
				cmd := strings.TrimSuffix(line, "\n")
				f.mu.Lock()
				f.cmds = append(f.cmds, cmd)
				f.mu.Unlock()
				_, _ = c.Write([]byte(answer(cmd)))
			})
		}
	})
	return f
}

// commands returns what the fake was sent, in order.
func (f *fakeAPI) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.cmds...)
}

// sets returns the state-changing commands the fake was sent.
func (f *fakeAPI) sets() []string {
	var out []string
	for _, c := range f.commands() {
		if strings.HasPrefix(c, "set ") {
			out = append(out, c)
		}
	}
	return out
}

// statHeader is the real `show stat` header of HAProxy 2.6 (testdata).
func statHeader(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/stat_hello.csv")
	if err != nil {
		t.Fatal(err)
	}
	h, _, _ := strings.Cut(string(b), "\n")
	return h
}

// statReply builds a `show stat` answer with the real header and one row
// per server: name, status, scur. Other columns stay empty, as HAProxy
// leaves columns that do not apply.
func statReply(t *testing.T, backend string, rows ...statRow) string {
	t.Helper()
	header := statHeader(t)
	cols := strings.Split(strings.TrimPrefix(header, "# "), ",")
	idx := map[string]int{}
	for i, c := range cols {
		idx[c] = i
	}
	var b strings.Builder
	b.WriteString(header + "\n")
	for _, r := range rows {
		rec := make([]string, len(cols))
		rec[idx["pxname"]] = backend
		rec[idx["svname"]] = r.name
		rec[idx["status"]] = r.status
		rec[idx["scur"]] = strconv.Itoa(r.scur)
		rec[idx["qcur"]] = "0"
		rec[idx["type"]] = "2"
		rec[idx["check_status"]] = r.check
		b.WriteString(strings.Join(rec, ",") + "\n")
	}
	b.WriteString("\n")
	return b.String()
}

type statRow struct {
	name, status string
	scur         int
	check        string
}
