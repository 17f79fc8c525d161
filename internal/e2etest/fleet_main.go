//go:build integration

package e2etest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

// sharedFleet is the fleet FleetMain started for this test binary.
var sharedFleet atomic.Pointer[Fleet]

// FleetMain is a TestMain body for a package whose tests share one fleet
// (the cheap way: a boot per package, not per test; tests then use their
// own unit names and ports): it starts the fleet, runs the tests, tears the
// fleet down and exits. A failed start fails the package with the reason
// (exit 1); it never skips. prefix and opts.Subnet must be the package's
// own (see planFleet).
//
//	func TestMain(m *testing.M) {
//		e2etest.FleetMain(m, "fbed", 3, e2etest.FleetOptions{Subnet: 10})
//	}
func FleetMain(m *testing.M, prefix string, n int, opts FleetOptions) {
	if !flag.Parsed() {
		flag.Parse() // for testing.Verbose
	}
	f, err := BootFleet(context.Background(), prefix, n, opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		os.Exit(1)
	}
	sharedFleet.Store(f)
	code := m.Run()
	if err := f.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// SharedFleet returns the fleet FleetMain started; it fails the test when
// there is none.
func SharedFleet(tb testing.TB) *Fleet {
	tb.Helper()
	f := sharedFleet.Load()
	if f == nil {
		tb.Fatal("fleet: none started; call e2etest.FleetMain from TestMain")
	}
	return f
}

// StartFleet starts a fleet for one test and closes it when the test ends
// (a failed teardown fails the test). It fails the test if the fleet does
// not start. A package's tests that each start a fleet must not run in
// parallel with the same prefix: the second start fails on the lock.
func StartFleet(tb testing.TB, prefix string, n int, opts FleetOptions) *Fleet {
	tb.Helper()
	f, err := BootFleet(context.Background(), prefix, n, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := f.Close(); err != nil {
			tb.Error(err)
		}
	})
	return f
}

// The fleets of this process, closed on SIGINT or SIGTERM before it
// exits: nothing else would remove their namespaces and links (a killed
// process's containers halt by themselves; the next run's sweep removes
// the rest).
var (
	liveMu     sync.Mutex
	live       = map[*Fleet]bool{}
	signalOnce sync.Once
)

// track registers f for teardown on a signal.
func track(f *Fleet) {
	liveMu.Lock()
	live[f] = true
	liveMu.Unlock()
	signalOnce.Do(func() {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		go func() {
			sig := <-ch
			liveMu.Lock()
			var fs []*Fleet
			for f := range live {
				fs = append(fs, f)
			}
			liveMu.Unlock()
			fmt.Fprintf(os.Stderr, "fleet: %s; tearing down %d fleet(s)\n", sig, len(fs))
			for _, f := range fs {
				if err := f.Close(); err != nil {
					fmt.Fprintf(os.Stderr, "fleet: %v\n", err)
				}
			}
			os.Exit(130)
		}()
	})
}

func untrack(f *Fleet) {
	liveMu.Lock()
	delete(live, f)
	liveMu.Unlock()
}

// testingVerbose is testing.Verbose once the test flags are parsed.
func testingVerbose() bool { return flag.Parsed() && testing.Verbose() }
