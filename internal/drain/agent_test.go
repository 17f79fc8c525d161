package drain

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// fakeAgent is an AgentStore and a ConnTable, with HAProxy's side played
// by lb: every inter it "asks" (answers from the mark), as the responder
// would; asking false plays a server line without agent-check.
type fakeAgent struct {
	mu      sync.Mutex
	marks   map[string]Mark
	answers map[string]Answer
	conns   []netip.AddrPort
	asking  bool
	setErr  error
	history []string // marks set, "INSTANCE STATE"
}

func newFakeAgent() *fakeAgent {
	return &fakeAgent{marks: map[string]Mark{}, answers: map[string]Answer{}, asking: true}
}

func (f *fakeAgent) SetMark(inst string, m Mark) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.setErr != nil {
		return f.setErr
	}
	f.marks[inst] = m
	f.history = append(f.history, inst+" "+string(m.State))
	return nil
}

func (f *fakeAgent) Answer(inst string) (Answer, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.answers[inst]
	return a, ok, nil
}

func (f *fakeAgent) Established(int) ([]netip.AddrPort, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]netip.AddrPort(nil), f.conns...), nil
}

func (f *fakeAgent) setConns(c ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.conns = nil
	for _, s := range c {
		f.conns = append(f.conns, netip.MustParseAddrPort(s))
	}
}

// lb asks about insts every inter until ctx ends.
func (f *fakeAgent) lb(ctx context.Context, inter time.Duration, insts ...string) {
	go func() {
		for {
			f.mu.Lock()
			if f.asking {
				for _, in := range insts {
					m, ok := f.marks[in]
					if !ok {
						m = Mark{State: AgentReady}
					}
					f.answers[in] = Answer{State: m.State, Token: m.Token, At: time.Now()}
				}
			}
			f.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-time.After(inter):
			}
		}
	}()
}

func (f *fakeAgent) agent() *Agent {
	return &Agent{
		Service: "hello", Listen: "0.0.0.0:9700", Store: f, Conns: f,
		Port:  func(string) (int, bool) { return 8081, true },
		Inter: 2 * time.Second, UpWait: 4 * time.Second,
	}
}

// Drain: the mark is answered within one inter, then the balancer's last
// connection closes; loopback connections (sysroll's own probes) do not count.
func TestAgentDrain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeAgent()
		f.setConns("10.0.0.1:40000", "127.0.0.1:40001")
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		time.Sleep(500 * time.Millisecond) // HAProxy's next check is 1.5s away
		f.lb(ctx, 2*time.Second, "8081")
		go func() { time.Sleep(5 * time.Second); f.setConns("127.0.0.1:40001") }()
		start := time.Now()
		if err := f.agent().Drain(ctx, "8081"); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took < 5100*time.Millisecond || took > 5300*time.Millisecond {
			t.Errorf("Drain took %s, want until the last balancer connection closed (5s) and two quiet polls", took)
		}
		if a, _, _ := f.Answer("8081"); a.State != AgentDrain || a.Token != f.marks["8081"].Token {
			t.Errorf("answer %+v, mark %+v", a, f.marks["8081"])
		}
	})
}

// From: only the listed balancers' connections count.
func TestAgentDrainFrom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeAgent()
		f.setConns("10.0.0.9:40000") // not a balancer
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		f.lb(ctx, 2*time.Second, "8081")
		a := f.agent()
		a.From = []netip.Addr{netip.MustParseAddr("10.0.0.1")}
		if err := a.Drain(ctx, "8081"); err != nil {
			t.Fatal(err)
		}
	})
}

// No agent-check on the server line: Drain fails after 3 × inter, names
// what is missing, leaves the instance marked ready, and is not a
// timeout the engine would take as "drained".
func TestAgentDrainNeverAsked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeAgent()
		f.asking = false
		start := time.Now()
		err := f.agent().Drain(t.Context(), "8081")
		if !errors.Is(err, ErrAgentNotAsked) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrDrainTimeout) {
			t.Fatalf("err = %v, want ErrAgentNotAsked and no deadline", err)
		}
		if took := time.Since(start); took != 6*time.Second {
			t.Errorf("gave up after %s, want 3 × inter = 6s", took)
		}
		for _, want := range []string{`agent-send "hello/8081\n"`, "agent-port 9700", "never asked"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q: %v", want, err)
			}
		}
		if got := strings.Join(f.history, ", "); got != "8081 drain, 8081 ready" {
			t.Errorf("marks %s, want the drain undone", got)
		}
	})
}

// Connections that stay: ErrDrainTimeout at DrainTimeout, a warning.
func TestAgentDrainTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeAgent()
		f.setConns("10.0.0.1:40000", "[::ffff:10.0.0.1]:40002")
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		f.lb(ctx, 2*time.Second, "8081")
		a := f.agent()
		a.DrainTimeout = 10 * time.Second
		err := a.Drain(ctx, "8081")
		if !errors.Is(err, ErrDrainTimeout) || !strings.Contains(err.Error(), "2 connections") {
			t.Fatalf("err = %v, want ErrDrainTimeout naming 2 connections", err)
		}
	})
}

// Undrain: answered ready, then up_wait; never asked: ErrAgentNotAsked.
func TestAgentUndrain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeAgent()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		f.lb(ctx, 2*time.Second, "8081", "8082")
		time.Sleep(time.Second)
		start := time.Now()
		if err := f.agent().Undrain(ctx, "8081"); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took < 5*time.Second || took > 5100*time.Millisecond {
			t.Errorf("Undrain took %s, want the next ask (1s, seen within a poll) + up_wait (4s)", took)
		}
		start = time.Now()
		if err := f.agent().UndrainAll(ctx, []string{"8081", "8082"}); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took < 4*time.Second || took > 6100*time.Millisecond {
			t.Errorf("UndrainAll took %s, want the next ask (<2s away) + one up_wait (4s)", took)
		}
		f.mu.Lock()
		f.asking = false
		f.mu.Unlock()
		if err := f.agent().Undrain(ctx, "8081"); !errors.Is(err, ErrAgentNotAsked) {
			t.Errorf("Undrain with no agent-check: %v", err)
		}
	})
}

// Check: passes when HAProxy asks about every instance, names the ones it
// does not ask about.
func TestAgentCheck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeAgent()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		f.lb(ctx, 2*time.Second, "8081")
		err := f.agent().Check(ctx, []string{"8081", "8082"})
		if err == nil || strings.Contains(err.Error(), "instance 8081") || !strings.Contains(err.Error(), "instance 8082") {
			t.Errorf("Check = %v, want only 8082 refused", err)
		}
	})
}

// A mark that cannot be written fails Drain before anything else.
func TestAgentDrainStoreFails(t *testing.T) {
	f := newFakeAgent()
	f.setErr = errors.New("read-only file system")
	if err := f.agent().Drain(t.Context(), "8081"); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("Drain = %v", err)
	}
}
