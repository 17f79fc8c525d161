package portcheck

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// fakeProc writes a /proc tree: the socket tables and processes with fds.
func fakeProc(t *testing.T, tcp, tcp6 string, procs map[int]struct {
	comm, cgroup string
	fds          map[string]string
}) string {
	t.Helper()
	root := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	write(filepath.Join(root, "net", "tcp"), header+tcp)
	if tcp6 != "" {
		write(filepath.Join(root, "net", "tcp6"), header+tcp6)
	}
	for pid, p := range procs {
		dir := filepath.Join(root, strconv.Itoa(pid))
		write(filepath.Join(dir, "comm"), p.comm+"\n")
		write(filepath.Join(dir, "cgroup"), p.cgroup)
		if err := os.MkdirAll(filepath.Join(dir, "fd"), 0o755); err != nil {
			t.Fatal(err)
		}
		for fd, target := range p.fds {
			if err := os.Symlink(target, filepath.Join(dir, "fd", fd)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

func TestProcListeners(t *testing.T) {
	// 127.0.0.1:24701 LISTEN held by pid 1234; 0.0.0.0:24701 a connection
	// (state 01), not a listener; [::]:24701 LISTEN held by nobody we see;
	// 0.0.0.0:24702 LISTEN on another port.
	tcp := "   0: 0100007F:607D 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5001 1\n" +
		"   1: 00000000:607D 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 5002 1\n" +
		"   2: 00000000:607E 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5003 1\n"
	tcp6 := "   0: 00000000000000000000000000000000:607D 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  0  0 5004 1\n"
	root := fakeProc(t, tcp, tcp6, map[int]struct {
		comm, cgroup string
		fds          map[string]string
	}{
		1234: {"my-binary", "0::/system.slice/my-service-1.service\n", map[string]string{"0": "/dev/null", "3": "socket:[5001]"}},
		99:   {"other", "0::/init.scope\n", map[string]string{"3": "socket:[5003]"}},
	})
	ls, err := Proc{Root: root}.Listeners(24701)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 2 {
		t.Fatalf("listeners %+v, want 2", ls)
	}
	want0 := Listener{Addr: netip.MustParseAddrPort("127.0.0.1:24701"), Inode: 5001, PID: 1234, Command: "my-binary", Unit: "my-service-1.service"}
	if ls[0] != want0 {
		t.Errorf("listener %+v, want %+v", ls[0], want0)
	}
	if got := ls[0].Owner(); got != "pid 1234 (my-binary) of my-service-1.service" {
		t.Errorf("Owner = %q", got)
	}
	if ls[1].Addr != netip.MustParseAddrPort("[::]:24701") || ls[1].PID != 0 {
		t.Errorf("v6 listener %+v, want [::]:24701 with no holder seen", ls[1])
	}
	if free, err := (Proc{Root: root}).Listeners(24703); err != nil || len(free) != 0 {
		t.Errorf("free port: %+v, %v", free, err)
	}
}

// The real /proc finds this test's own listener, on 127.0.0.1 and on ::.
func TestProcFindsARealListener(t *testing.T) {
	for _, network := range []string{"tcp4", "tcp6"} {
		l, err := net.Listen(network, map[string]string{"tcp4": "127.0.0.1:0", "tcp6": "[::]:0"}[network])
		if err != nil {
			t.Skipf("%s: %v", network, err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		ls, err := Proc{}.Listeners(port)
		l.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(ls) != 1 || ls[0].PID != os.Getpid() || ls[0].Command == "" {
			t.Errorf("%s port %d: %+v, want this process (%d)", network, port, ls, os.Getpid())
		}
	}
}

func TestUnitOfCgroup(t *testing.T) {
	for in, want := range map[string]string{
		"0::/system.slice/hello@24701.service\n":                                               "hello@24701.service",
		"0::/user.slice/user-1000.slice/user@1000.service/app.slice/web.service\n":             "web.service",
		"0::/system.slice/run-r1234.scope\n":                                                   "run-r1234.scope",
		"0::/system.slice/docker.service/payload/x\n":                                          "docker.service",
		"12:pids:/system.slice/a.service\n1:name=systemd:/system.slice/legacy.service\n0::/\n": "legacy.service",
		"0::/\n": "",
		"":       "",
	} {
		if got := UnitOfCgroup(in); got != want {
			t.Errorf("UnitOfCgroup(%q) = %q, want %q", in, got, want)
		}
	}
}
