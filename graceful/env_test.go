package graceful

import (
	"errors"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFilesEnv(t *testing.T) {
	_, f1 := tcpListener(t)
	_, f2 := tcpListener(t)
	first := passFDs(t, f1, f2)
	free := 990 // assumed unused; checked below
	if !isFree(free) || !isFree(free+1) {
		t.Fatalf("fd %d..%d in use", free, free+1)
	}

	tests := []struct {
		name      string
		env       []string
		firstFD   int
		wantNames []string
		wantErr   string
	}{
		{name: "not activated", env: nil},
		{name: "for another process", env: []string{"LISTEN_PID", "1", "LISTEN_FDS", "2"}},
		{name: "no fds", env: []string{"LISTEN_PID", fakePid, "LISTEN_FDS", "0"}},
		{name: "named", env: []string{"LISTEN_PID", fakePid, "LISTEN_FDS", "2", "LISTEN_FDNAMES", "web:metrics"},
			wantNames: []string{"web", "metrics"}},
		{name: "unnamed", env: []string{"LISTEN_PID", fakePid, "LISTEN_FDS", "2"},
			wantNames: []string{"unknown", "unknown"}},
		{name: "name count mismatch ignored", env: []string{"LISTEN_PID", fakePid, "LISTEN_FDS", "2", "LISTEN_FDNAMES", "web"},
			wantNames: []string{"unknown", "unknown"}},
		{name: "one of two", env: []string{"LISTEN_PID", fakePid, "LISTEN_FDS", "1", "LISTEN_FDNAMES", "web"},
			wantNames: []string{"web"}},
		{name: "bad pid", env: []string{"LISTEN_PID", "x", "LISTEN_FDS", "1"}, wantErr: "LISTEN_PID"},
		{name: "bad count", env: []string{"LISTEN_PID", fakePid, "LISTEN_FDS", "-1"}, wantErr: "LISTEN_FDS"},
		{name: "fd not open", env: []string{"LISTEN_PID", fakePid, "LISTEN_FDS", "2"}, firstFD: free,
			wantErr: "not usable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fe := newFakeEnv(tt.env...)
			fd := first
			if tt.firstFD != 0 {
				fd = tt.firstFD
			}
			files, err := fe.env(fd).Files()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, f := range files {
				names = append(names, f.Name())
			}
			if !slices.Equal(names, tt.wantNames) {
				t.Errorf("names = %q, want %q", names, tt.wantNames)
			}
			// Files wraps the descriptors without closing them, so later
			// cases can pass them again.
			slices.Sort(fe.unset)
			if want := []string{"LISTEN_FDNAMES", "LISTEN_FDS", "LISTEN_PID"}; !slices.Equal(fe.unset, want) {
				t.Errorf("unset %q, want %q", fe.unset, want)
			}
		})
	}
}

func TestListenersInherited(t *testing.T) {
	web, webFile := tcpListener(t)
	metrics, metricsFile := tcpListener(t)
	fe := newFakeEnv("LISTEN_PID", fakePid, "LISTEN_FDS", "2", "LISTEN_FDNAMES", "web:metrics")

	ls, err := fe.env(passFDs(t, webFile, metricsFile)).Listeners()
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 2 || ls[0].Name != "web" || ls[1].Name != "metrics" {
		t.Fatalf("listeners = %v", ls)
	}
	if got, want := ls[0].Addr().String(), web.Addr().String(); got != want {
		t.Errorf("web addr = %s, want %s", got, want)
	}
	if got, want := ls[1].Addr().String(), metrics.Addr().String(); got != want {
		t.Errorf("metrics addr = %s, want %s", got, want)
	}
	// The inherited listener accepts connections made to the socket.
	acceptOne(t, ls[0].Listener, web.Addr().String())

	// Closing it closes this process's copy only: the "PID 1" copy keeps the
	// socket open, so a new connection still completes (it waits in the
	// queue for the next instance) instead of being refused.
	for _, l := range ls {
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	c, err := net.DialTimeout("tcp", web.Addr().String(), 2*time.Second)
	if err != nil {
		t.Fatalf("dial after closing the inherited copy: %v", err)
	}
	_ = c.Close()
}

func acceptOne(t *testing.T, l net.Listener, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := l.(interface{ SetDeadline(time.Time) error }).SetDeadline(time.Now().Add(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	s, err := l.Accept()
	if err != nil {
		t.Fatalf("accept on inherited listener: %v", err)
	}
	_ = s.Close()
}

func TestListenersNotAStreamSocket(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	fe := newFakeEnv("LISTEN_PID", fakePid, "LISTEN_FDS", "1", "LISTEN_FDNAMES", "pipe")
	_, err = fe.env(passFDs(t, r)).Listeners()
	if err == nil || !strings.Contains(err.Error(), "(pipe) is not a stream listener") {
		t.Fatalf("err = %v", err)
	}
}

func TestListen(t *testing.T) {
	tests := []struct {
		name     string
		inherit  int // number of inherited sockets, named a, b, ...
		pick     string
		addr     string
		wantFrom int // index of the inherited socket returned; -1: a new one on addr
		wantErr  string
	}{
		{name: "only inherited", inherit: 1, wantFrom: 0},
		{name: "inherited wins over addr", inherit: 1, addr: "127.0.0.1:0", wantFrom: 0},
		{name: "by name", inherit: 2, pick: "b", wantFrom: 1},
		{name: "several without name", inherit: 2, wantErr: "choose one by name"},
		{name: "unknown name", inherit: 2, pick: "c", wantErr: `no socket named "c" (have a, b)`},
		{name: "fallback to addr", addr: "127.0.0.1:0", wantFrom: -1},
		{name: "fallback despite name", pick: "a", addr: "127.0.0.1:0", wantFrom: -1},
		{name: "nothing at all", wantErr: "no address"},
		{name: "bad addr", addr: "127.0.0.1:notaport", wantErr: "listen:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var files []*os.File
			var addrs, names []string
			for i := range tt.inherit {
				l, f := tcpListener(t)
				files = append(files, f)
				addrs = append(addrs, l.Addr().String())
				names = append(names, string(rune('a'+i)))
			}
			fe := newFakeEnv()
			first := 0
			if tt.inherit > 0 {
				fe = newFakeEnv("LISTEN_PID", fakePid, "LISTEN_FDS", string(rune('0'+tt.inherit)),
					"LISTEN_FDNAMES", strings.Join(names, ":"))
				first = passFDs(t, files...)
			}
			l, err := fe.env(first).Listen(tt.pick, tt.addr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			if tt.wantFrom >= 0 {
				if got := l.Addr().String(); got != addrs[tt.wantFrom] {
					t.Errorf("addr = %s, want inherited %s", got, addrs[tt.wantFrom])
				}
			} else if slices.Contains(addrs, l.Addr().String()) {
				t.Errorf("addr = %s, want a new socket", l.Addr())
			}
		})
	}
}

func TestWatchdogTimeout(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		want    time.Duration
		wantErr bool
	}{
		{name: "off"},
		{name: "on", env: []string{"WATCHDOG_USEC", "3000000"}, want: 3 * time.Second},
		{name: "for us", env: []string{"WATCHDOG_USEC", "500", "WATCHDOG_PID", fakePid}, want: 500 * time.Microsecond},
		{name: "for another process", env: []string{"WATCHDOG_USEC", "500", "WATCHDOG_PID", "1"}},
		{name: "bad usec", env: []string{"WATCHDOG_USEC", "soon"}, wantErr: true},
		{name: "zero usec", env: []string{"WATCHDOG_USEC", "0"}, wantErr: true},
		{name: "bad pid", env: []string{"WATCHDOG_USEC", "5", "WATCHDOG_PID", "me"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := newFakeEnv(tt.env...).env(0).WatchdogTimeout()
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("timeout = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestEnvNotifier(t *testing.T) {
	if _, ok := newFakeEnv().env(0).Notifier().(NopNotifier); !ok {
		t.Error("without NOTIFY_SOCKET: want NopNotifier")
	}
	n := newFakeEnv("NOTIFY_SOCKET", "/run/systemd/notify").env(0).Notifier()
	if n != (SocketNotifier{Addr: "/run/systemd/notify"}) {
		t.Errorf("notifier = %#v", n)
	}
	if err := (NopNotifier{}).Notify(MsgReady); err != nil {
		t.Error(err)
	}
	var errTest = errors.New("test")
	if err := NotifierFunc(func(string) error { return errTest }).Notify(MsgReady); !errors.Is(err, errTest) {
		t.Errorf("NotifierFunc err = %v", err)
	}
}
