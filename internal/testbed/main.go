package testbed

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

// shared is the container Main booted for this test binary.
var shared atomic.Pointer[Container]

// Main is a TestMain body: it boots one container for the test package,
// runs the tests, halts the container and exits. The container is halted
// also when the tests fail, and on SIGINT or SIGTERM. A failed boot fails the
// whole package (exit 1) with the reason; it never skips.
func Main(m *testing.M, opts Options) {
	os.Exit(Run(m, opts))
}

// Run is Main without the exit, for a TestMain that has more to clean up
// (such as a directory of built binaries bound into the container): it
// returns the exit code. On SIGINT or SIGTERM it still halts the container
// and exits at once.
func Run(m *testing.M, opts Options) int {
	if !flag.Parsed() {
		flag.Parse() // for testing.Verbose
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	c, err := Boot(ctx, opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		return 1
	}
	shared.Store(c)
	if len(c.Failed()) > 0 {
		fmt.Fprintf(os.Stderr, "testbed: %s booted degraded; failed units: %s\n", c.Name(), strings.Join(c.Failed(), " "))
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "testbed: booted %s (init pid %d) in %s\n", c.Name(), c.InitPID(), c.BootTime().Round(1e6))
	}

	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			fmt.Fprintf(os.Stderr, "testbed: interrupted; halting %s\n", c.Name())
			if err := c.Close(); err != nil {
				fmt.Fprintf(os.Stderr, "testbed: %v\n", err)
			}
			os.Exit(130)
		case <-done:
		}
	}()

	code := m.Run()
	if err := c.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Shared returns the container Main booted. It fails the test when there is
// none (TestMain did not call Main).
func Shared(tb testing.TB) *Container {
	tb.Helper()
	c := shared.Load()
	if c == nil {
		tb.Fatal("testbed: no container; call testbed.Main from TestMain")
	}
	return c
}
