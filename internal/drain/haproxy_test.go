package drain

import (
	"context"
	"errors"
	"os"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// backendAnswer answers like HAProxy 2.6 for backend "hello" with the
// given servers; stat supplies the rows for each `show stat` call.
func backendAnswer(t *testing.T, level string, servers []string, stat func(n int) []statRow) func(string) string {
	var polls atomic.Int32
	return func(cmd string) string {
		switch {
		case cmd == "show cli level":
			return level + "\n\n"
		case cmd == "show backend":
			return "# name\nhello\nslow\n\n"
		case cmd == "show stat hello 4 -1":
			return statReply(t, "hello", stat(int(polls.Add(1)))...)
		case strings.HasPrefix(cmd, "show stat "):
			return "No such proxy.\n\n"
		case strings.HasPrefix(cmd, "set server hello/"):
			srv, _, _ := strings.Cut(strings.TrimPrefix(cmd, "set server hello/"), " ")
			for _, s := range servers {
				if s == srv {
					return "\n"
				}
			}
			return "No such server.\n\n"
		case strings.HasPrefix(cmd, "set server "):
			return "No such backend.\n\n"
		}
		return "Unknown command.\n\n"
	}
}

func upRows(names ...string) func(int) []statRow {
	return func(int) []statRow {
		var rows []statRow
		for _, n := range names {
			rows = append(rows, statRow{name: n, status: StatusUp})
		}
		return rows
	}
}

func TestCheck(t *testing.T) {
	servers := []string{"s8081", "s8082"}
	tests := []struct {
		name      string
		level     string
		backend   string
		server    string
		instances []string
		want      string // "" = no error
	}{
		{"ok", "admin", "hello", "s{instance}", []string{"8081", "8082"}, ""},
		{"missing server", "admin", "hello", "s{instance}", []string{"8081", "8083"},
			"backend hello has no server s8083 (servers: s8081, s8082)"},
		{"two missing", "admin", "hello", "{instance}", []string{"8081", "8082"},
			"backend hello has no servers 8081, 8082 (servers: s8081, s8082)"},
		{"no backend", "admin", "nope", "s{instance}", []string{"8081"},
			`has no backend "nope" (backends: hello, slow)`},
		{"operator level", "operator", "hello", "s{instance}", []string{"8081"},
			"has level operator: sysroll sets server state, which needs `stats socket"},
		{"same server twice", "admin", "hello", "s8081", []string{"8081", "8082"},
			"instances 8081 and 8082 both map to server hello/s8081"},
		{"port unknown", "admin", "hello", "s{port}", []string{"8081"},
			`instance "8081" has no port`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFakeAPI(t, backendAnswer(t, tt.level, servers, upRows(servers...)))
			h := &HAProxy{Socket: f.path, Backend: tt.backend, Server: tt.server}
			err := h.Check(t.Context(), tt.instances)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Check: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Check error = %v, want it to contain %q", err, tt.want)
			}
			if s := f.sets(); len(s) != 0 {
				t.Errorf("Check changed state: %q", s)
			}
		})
	}
}

func TestCheckSocketProblems(t *testing.T) {
	dir, err := os.MkdirTemp("", "hx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	notSock := dir + "/file"
	if err := os.WriteFile(notSock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, socket, want string }{
		{"missing", dir + "/admin.sock", "haproxy admin socket " + dir + "/admin.sock: no such socket: is haproxy running, with `stats socket " + dir + "/admin.sock level admin`"},
		{"regular file", notSock, "connection refused"},
		{"tcp refused", "127.0.0.1:1", "connection refused: nothing listens there"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &HAProxy{Socket: tt.socket, Backend: "hello"}
			err := h.Check(t.Context(), []string{"1"})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Check error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestDrainWaitsForSessions(t *testing.T) {
	scur := []int{2, 1, 1, 0}
	f := startFakeAPI(t, backendAnswer(t, "admin", []string{"s1", "s2"}, func(n int) []statRow {
		return []statRow{{name: "s1", status: StatusDrain, scur: scur[min(n, len(scur))-1]}, {name: "s2", status: StatusUp, scur: 5}}
	}))
	h := &HAProxy{Socket: f.path, Backend: "hello", Server: "s{instance}", PollInterval: time.Millisecond}
	if err := h.Drain(t.Context(), "1"); err != nil {
		t.Fatalf("Drain: %v", err)
	}
	want := []string{"set server hello/s1 state drain", "show stat hello 4 -1", "show stat hello 4 -1", "show stat hello 4 -1", "show stat hello 4 -1"}
	if got := f.commands(); !reflect.DeepEqual(got, want) {
		t.Errorf("commands:\n got %q\nwant %q", got, want)
	}
}

func TestDrainTimeout(t *testing.T) {
	f := startFakeAPI(t, backendAnswer(t, "admin", []string{"s1"}, func(int) []statRow {
		return []statRow{{name: "s1", status: StatusDrain, scur: 3}}
	}))
	h := &HAProxy{Socket: f.path, Backend: "hello", Server: "s{instance}", PollInterval: time.Millisecond, DrainTimeout: 50 * time.Millisecond}
	err := h.Drain(t.Context(), "1")
	if !errors.Is(err, ErrDrainTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Drain error = %v, want ErrDrainTimeout and DeadlineExceeded", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "drain hello/s1: still busy after") || !strings.Contains(msg, "(3 sessions, 0 queued): drain timeout (context deadline exceeded)") {
		t.Errorf("Drain error = %q", err)
	}
}

func TestDrainCanceledIsNotATimeout(t *testing.T) {
	f := startFakeAPI(t, backendAnswer(t, "admin", []string{"s1"}, func(int) []statRow {
		return []statRow{{name: "s1", status: StatusDrain, scur: 3}}
	}))
	h := &HAProxy{Socket: f.path, Backend: "hello", Server: "s{instance}", PollInterval: time.Millisecond}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(30*time.Millisecond, cancel)
	err := h.Drain(ctx, "1")
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrDrainTimeout) {
		t.Fatalf("Drain error = %v, want Canceled and not ErrDrainTimeout", err)
	}
}

func TestDrainRefused(t *testing.T) {
	tests := []struct {
		name, backend, want string
	}{
		{"no such server", "hello", `drain hello/s9: haproxy refused "set server hello/s9 state drain": No such server.`},
		{"no such backend", "nope", `drain nope/s9: haproxy refused "set server nope/s9 state drain": No such backend.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFakeAPI(t, backendAnswer(t, "admin", []string{"s1"}, upRows("s1")))
			h := &HAProxy{Socket: f.path, Backend: tt.backend, Server: "s{instance}"}
			err := h.Drain(t.Context(), "9")
			if _, ok := errors.AsType[*CommandError](err); !ok || err.Error() != tt.want {
				t.Errorf("Drain error = %v, want CommandError %q", err, tt.want)
			}
		})
	}
}

func TestPermissionDenied(t *testing.T) {
	f := startFakeAPI(t, func(string) string { return "Permission denied\n\n" })
	h := &HAProxy{Socket: f.path, Backend: "hello"}
	err := h.Undrain(t.Context(), "s1")
	if err == nil || !strings.Contains(err.Error(), "needs `level admin`") {
		t.Errorf("Undrain error = %v, want the level admin hint", err)
	}
}

func TestUndrainWaitsForUp(t *testing.T) {
	// What HAProxy 2.6 shows after `state ready` while its checks catch up.
	seq := []string{StatusDown, "DOWN 1/2", "UP 1/2", StatusUp}
	f := startFakeAPI(t, backendAnswer(t, "admin", []string{"s1"}, func(n int) []statRow {
		return []statRow{{name: "s1", status: seq[min(n, len(seq))-1]}}
	}))
	h := &HAProxy{Socket: f.path, Backend: "hello", Server: "s{instance}", PollInterval: time.Millisecond}
	if err := h.Undrain(t.Context(), "1"); err != nil {
		t.Fatalf("Undrain: %v", err)
	}
	if got := len(f.commands()); got != 1+len(seq) {
		t.Errorf("%d commands, want set + %d polls: %q", got, len(seq), f.commands())
	}
}

func TestUndrainNoCheck(t *testing.T) {
	f := startFakeAPI(t, backendAnswer(t, "admin", []string{"s1"}, func(int) []statRow {
		return []statRow{{name: "s1", status: StatusNoCheck}}
	}))
	h := &HAProxy{Socket: f.path, Backend: "hello", Server: "s{instance}", PollInterval: time.Hour}
	if err := h.Undrain(t.Context(), "1"); err != nil {
		t.Fatalf("Undrain: %v", err)
	}
}

func TestUndrainTimeout(t *testing.T) {
	f := startFakeAPI(t, backendAnswer(t, "admin", []string{"s1"}, func(int) []statRow {
		return []statRow{{name: "s1", status: StatusDown, check: "L4CON"}}
	}))
	h := &HAProxy{Socket: f.path, Backend: "hello", Server: "s{instance}", PollInterval: time.Millisecond, UpTimeout: 50 * time.Millisecond}
	err := h.Undrain(t.Context(), "1")
	if !errors.Is(err, ErrNotUp) {
		t.Fatalf("Undrain error = %v, want ErrNotUp", err)
	}
	if msg := err.Error(); !strings.Contains(msg, `undrain hello/s1: server not UP in haproxy after`) || !strings.Contains(msg, `s1: status "DOWN", last check L4CON (context deadline exceeded)`) {
		t.Errorf("Undrain error = %q", err)
	}
}

func TestServerName(t *testing.T) {
	port := func(in string) (int, bool) { return map[string]int{"a": 8081}[in], in == "a" }
	tests := []struct {
		tmpl, instance, want, err string
	}{
		{"", "8081", "8081", ""},
		{"s{instance}", "8081", "s8081", ""},
		{"web-{port}", "a", "web-8081", ""},
		{"web-{port}", "b", "", `instance "b" has no port`},
	}
	for _, tt := range tests {
		h := &HAProxy{Server: tt.tmpl, Port: port}
		got, err := h.ServerName(tt.instance)
		if got != tt.want || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("ServerName(%q, %q) = %q, %v; want %q, %q", tt.tmpl, tt.instance, got, err, tt.want, tt.err)
		}
	}
}
