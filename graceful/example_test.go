package graceful_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/sysroll/sysroll/graceful"
)

// A service's main: socket from systemd or the address, READY=1 after warm-up,
// drain on SIGTERM. Here the notifications are printed instead of sent to
// NOTIFY_SOCKET, and the context is cancelled where systemd would send SIGTERM.
func ExampleServer() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	})

	ready := make(chan struct{})
	srv := &graceful.Server{
		HTTP: &http.Server{Handler: mux},
		Addr: "127.0.0.1:0", // usually a flag; ignored when systemd passes a socket
		Ready: func(ctx context.Context) error {
			fmt.Println("warming up") // load caches, connect to the database...
			return nil
		},
		// Leave Notifier nil in a real service: it then writes to NOTIFY_SOCKET.
		Notifier: graceful.NotifierFunc(func(state string) error {
			first, _, _ := strings.Cut(state, "\n")
			fmt.Println("notify:", first)
			if first == graceful.MsgReady {
				close(ready)
			}
			return nil
		}),
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- srv.Run(ctx) }()

	<-ready
	stop() // systemctl stop: SIGTERM
	fmt.Println("run:", <-done)
	// Output:
	// notify: STATUS=starting
	// warming up
	// notify: READY=1
	// notify: STOPPING=1
	// notify: STATUS=stopped
	// run: <nil>
}

// Listen takes the socket systemd passed, or listens on the address when
// started by hand.
func ExampleListen() {
	ln, err := graceful.Listen("", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ln.Close()
	go func() {
		_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "hi") }))
	}()

	resp, err := http.Get("http://" + ln.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body))
	// Output: hi
}

// SocketNotifier speaks the NOTIFY_SOCKET protocol. The socket here stands
// in for systemd's.
func ExampleSocketNotifier() {
	dir, _ := os.MkdirTemp("", "notify")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "sock")
	manager, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer manager.Close()

	n := graceful.SocketNotifier{Addr: path} // what Env.Notifier returns under systemd
	if err := n.Notify(graceful.MsgReady + "\n" + graceful.MsgStatus("serving")); err != nil {
		fmt.Println(err)
		return
	}
	buf := make([]byte, 256)
	size, _ := manager.Read(buf)
	fmt.Printf("%q\n", buf[:size])
	// Output: "READY=1\nSTATUS=serving"
}
