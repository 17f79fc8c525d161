package graceful

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestWatchdogPingsAtHalfTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var pings atomic.Int32
		n := NotifierFunc(func(state string) error {
			if state != MsgWatchdog {
				t.Errorf("sent %q", state)
			}
			pings.Add(1)
			return nil
		})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { Watchdog{Notifier: n, Timeout: 40 * time.Millisecond}.Run(ctx); close(done) }()

		// Pings at 0, 20, 40, 60 and 80 ms.
		time.Sleep(90 * time.Millisecond)
		cancel()
		<-done
		if got := pings.Load(); got != 5 {
			t.Errorf("pings = %d, want 5", got)
		}
	})
}

func TestWatchdogCheckGatesPings(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var pings atomic.Int32
		var healthy atomic.Bool
		healthy.Store(true)
		w := Watchdog{
			Notifier: NotifierFunc(func(string) error { pings.Add(1); return nil }),
			Timeout:  40 * time.Millisecond,
			Check: func(ctx context.Context) error {
				if _, ok := ctx.Deadline(); !ok {
					t.Error("check without deadline")
				}
				if !healthy.Load() {
					return errors.New("wedged")
				}
				return nil
			},
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { w.Run(ctx); close(done) }()

		time.Sleep(30 * time.Millisecond) // pings at 0 and 20
		healthy.Store(false)
		time.Sleep(60 * time.Millisecond) // checks at 40, 60, 80 fail
		cancel()
		<-done
		if got := pings.Load(); got != 2 {
			t.Errorf("pings = %d, want 2", got)
		}
	})
}

func TestWatchdogOff(t *testing.T) {
	// Returns at once without a timeout, even with a live context.
	Watchdog{Notifier: NotifierFunc(func(string) error {
		t.Error("pinged without a timeout")
		return nil
	})}.Run(t.Context())
}
