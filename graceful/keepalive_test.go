package graceful

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

type nopNotifier struct{}

func (nopNotifier) Notify(string) error { return nil }

// TestRollingStopKeepAliveClients restarts instances sharing one listening
// socket, one at a time, under closed-loop keep-alive POST clients (which
// Go's client never retries). Every request must succeed: a stopping
// instance must end its keep-alive connections so that no client sends a
// request on a connection the server is closing.
func TestRollingStopKeepAliveClients(t *testing.T) {
	pid1, f := tcpListener(t) // PID 1's copy: never accepted on
	addr := pid1.Addr().String()
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * time.Millisecond)
		fmt.Fprint(w, "ok")
	})
	type instance struct {
		sigs chan os.Signal
		done chan error
	}
	startInstance := func() instance {
		t.Helper()
		fd, err := syscall.Dup(int(f.Fd()))
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.FileListener(os.NewFile(uintptr(fd), "shared"))
		if err != nil {
			t.Fatal(err)
		}
		in := instance{sigs: make(chan os.Signal, 1), done: make(chan error, 1)}
		srv := &Server{HTTP: &http.Server{Handler: handler}, Listener: ln, Notifier: nopNotifier{}, Signals: in.sigs}
		go func() { in.done <- srv.Run(context.Background()) }()
		return in
	}
	stopInstance := func(in instance) {
		t.Helper()
		in.sigs <- syscall.SIGTERM
		select {
		case err := <-in.done:
			if err != nil {
				t.Errorf("instance stopped with %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("instance did not stop")
		}
	}
	instances := []instance{startInstance(), startInstance(), startInstance()}

	ctx, stopLoad := context.WithCancel(context.Background())
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	var requests, failed atomic.Int64
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/", nil)
				resp, err := client.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if ctx.Err() != nil {
					return
				}
				requests.Add(1)
				if err != nil {
					failed.Add(1)
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	for round := range 12 {
		i := round % len(instances)
		stopInstance(instances[i])
		instances[i] = startInstance()
		time.Sleep(30 * time.Millisecond)
	}
	stopLoad()
	wg.Wait()
	tr.CloseIdleConnections()
	for _, in := range instances {
		stopInstance(in)
	}
	t.Logf("%d requests, %d failed", requests.Load(), failed.Load())
	if failed.Load() > 0 {
		t.Errorf("%d of %d requests failed; first: %v", failed.Load(), requests.Load(), firstErr)
	}
}

// A keep-alive connection that sits idle in a client's pool (a balancer's
// pool to a server it drained) is closed after idleQuiet: it does not hold
// the stop for the whole IdleDrain.
func TestIdleDrainClosesQuietConnections(t *testing.T) {
	h := start(t, &Server{HTTP: &http.Server{Handler: helloHandler()}, IdleDrain: 5 * time.Second})
	h.rec.waitFor(t, MsgReady)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get("http://" + h.addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close() // the connection goes back to tr's pool, open

	stopped := time.Now()
	h.sigs <- syscall.SIGTERM
	if err := h.wait(t); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if took := time.Since(stopped); took > time.Second {
		t.Errorf("stop took %s with one idle connection; want about %s", took, idleQuiet)
	}
}

// While draining, a request on a kept-alive connection is answered, with
// "Connection: close".
func TestIdleDrainAnswersWithConnectionClose(t *testing.T) {
	entered, finish := make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-finish
	})
	mux.Handle("/", helloHandler())
	h := start(t, &Server{HTTP: &http.Server{Handler: mux}, IdleDrain: 5 * time.Second})
	h.rec.waitFor(t, MsgReady)
	// A slow request keeps the drain going while the test sends its own.
	go func() { _, _ = get("http://" + h.addr + "/slow") }()
	<-entered
	conn, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	h.sigs <- syscall.SIGTERM
	h.rec.waitFor(t, MsgStopping)
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("request on a kept-alive connection while draining: %v", err)
	}
	resp.Body.Close()
	if !resp.Close {
		t.Error("response while draining has no \"Connection: close\"")
	}
	close(finish)
	if err := h.wait(t); err != nil {
		t.Errorf("Run = %v", err)
	}
}
