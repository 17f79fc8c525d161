package graceful

import (
	"strconv"
	"strings"
	"testing"
)

func TestSocketNotifier(t *testing.T) {
	for _, tt := range []struct {
		name     string
		abstract bool
	}{{"path", false}, {"abstract", true}} {
		t.Run(tt.name, func(t *testing.T) {
			sock := newNotifySocket(t, tt.abstract)
			n := SocketNotifier{Addr: sock.Addr}
			msg := joinMsgs(MsgReady, MsgStatus("serving\non :8081"))
			if err := n.Notify(msg); err != nil {
				t.Fatal(err)
			}
			if got, want := sock.next(t), "READY=1\nSTATUS=serving on :8081"; got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestSocketNotifierErrors(t *testing.T) {
	for _, addr := range []string{"", "relative/notify", "vsock:2:1234", "/nonexistent/graceful/notify"} {
		if err := (SocketNotifier{Addr: addr}).Notify(MsgReady); err == nil {
			t.Errorf("Notify via %q: want error", addr)
		}
	}
}

func TestMsgMonotonicUsec(t *testing.T) {
	a, b := MsgMonotonicUsec(), MsgMonotonicUsec()
	parse := func(m string) int64 {
		v, ok := strings.CutPrefix(m, "MONOTONIC_USEC=")
		if !ok {
			t.Fatalf("%q lacks MONOTONIC_USEC=", m)
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			t.Fatalf("%q: bad value", m)
		}
		return n
	}
	if parse(b) < parse(a) {
		t.Errorf("monotonic clock went back: %s then %s", a, b)
	}
}

func TestJoinMsgs(t *testing.T) {
	if got, want := joinMsgs(MsgReloading, "", MsgStatus("x")), "RELOADING=1\nSTATUS=x"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
