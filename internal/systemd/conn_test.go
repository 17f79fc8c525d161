package systemd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/godbus/dbus/v5"
)

// retryDial backs off between attempts (50ms doubling to 2s) and gives up
// at its bound with an error that names the bound and the last failure.
func TestRetryDial(t *testing.T) {
	t.Run("back after a few attempts", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var at []time.Duration
			start := time.Now()
			v, err := retryDial(t.Context(), ReconnectTimeout, func(context.Context) (int, error) {
				at = append(at, time.Since(start))
				if len(at) < 5 {
					return 0, errors.New("connection refused")
				}
				return 42, nil
			})
			if err != nil || v != 42 {
				t.Fatalf("retryDial = %d, %v", v, err)
			}
			want := []time.Duration{0, 50 * time.Millisecond, 150 * time.Millisecond, 350 * time.Millisecond, 750 * time.Millisecond}
			if fmt.Sprint(at) != fmt.Sprint(want) {
				t.Errorf("attempts at %v, want %v", at, want)
			}
		})
	})
	t.Run("never back", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			n := 0
			_, err := retryDial(t.Context(), ReconnectTimeout, func(context.Context) (int, error) {
				n++
				return 0, errors.New("no such file or directory")
			})
			took := time.Since(start)
			if err == nil || !strings.Contains(err.Error(), "within 30s") || !strings.Contains(err.Error(), "no such file") {
				t.Fatalf("retryDial = %v", err)
			}
			if took < ReconnectTimeout || took > ReconnectTimeout+reconnectMax {
				t.Errorf("gave up after %s, want about %s", took, ReconnectTimeout)
			}
			if n < 15 || n > 25 {
				t.Errorf("%d attempts in %s", n, took)
			}
		})
	})
	t.Run("caller gives up", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			start := time.Now()
			_, err := retryDial(ctx, ReconnectTimeout, func(context.Context) (int, error) { return 0, errors.New("refused") })
			if err == nil || time.Since(start) > 2*time.Second {
				t.Errorf("retryDial = %v after %s", err, time.Since(start))
			}
		})
	})
}

// dropped tells a connection that went away from an answer of systemd.
func TestLinkDropped(t *testing.T) {
	open := &link{lost: make(chan struct{})}
	gone := make(chan struct{})
	close(gone)
	closed := &link{lost: gone}
	tests := []struct {
		name string
		l    *link
		err  error
		want bool
	}{
		{"no error", open, nil, false},
		{"systemd says no such unit", open, dbus.Error{Name: "org.freedesktop.systemd1.NoSuchUnit"}, false},
		{"access denied", open, dbus.Error{Name: "org.freedesktop.DBus.Error.AccessDenied"}, false},
		{"EOF", open, io.EOF, true},
		{"closed connection", open, fmt.Errorf("call: %w", dbus.ErrClosed), true},
		{"connection reset", open, fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"bus daemon: systemd left the bus", open, dbus.Error{Name: "org.freedesktop.DBus.Error.ServiceUnknown"}, true},
		{"no reply", open, dbus.Error{Name: "org.freedesktop.DBus.Error.NoReply"}, true},
		{"any error once the link is lost", closed, errors.New("whatever"), true},
		{"context ended on an open link", open, context.DeadlineExceeded, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.l.dropped(tt.err); got != tt.want {
				t.Errorf("dropped(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// The first connection is retried when systemd resets it (it re-executes),
// and refused too at the manager's own address; not when there is no
// systemd: that is said at once.
func TestFirstDial(t *testing.T) {
	tests := []struct {
		name       string
		restarting func(error) bool
		failures   []error // returned by the first attempts, in turn
		wantN      int     // attempts made
		wantErr    bool
	}{
		{"connected", resetByRestart, nil, 1, false},
		{"reset twice by a re-executing systemd", resetByRestart, []error{
			fmt.Errorf("connect: read: %w", syscall.ECONNRESET), fmt.Errorf("does not answer: %w", io.EOF)}, 3, false},
		{"bus daemon: systemd not on the bus yet", resetByRestart, []error{dbus.Error{Name: "org.freedesktop.DBus.Error.ServiceUnknown"}}, 2, false},
		{"refused at the manager's address", refusedOrReset, []error{fmt.Errorf("dial: %w", syscall.ECONNREFUSED)}, 2, false},
		{"refused at an address given", resetByRestart, []error{fmt.Errorf("dial: %w", syscall.ECONNREFUSED)}, 1, true},
		{"no socket", refusedOrReset, []error{fmt.Errorf("dial: %w", syscall.ENOENT)}, 1, true},
		{"access denied", refusedOrReset, []error{dbus.Error{Name: "org.freedesktop.DBus.Error.AccessDenied"}}, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := 0
				_, err := firstDial(t.Context(), tt.restarting, func(context.Context) (int, error) {
					n++
					if n <= len(tt.failures) {
						return 0, tt.failures[n-1]
					}
					return 1, nil
				})
				if (err != nil) != tt.wantErr || n != tt.wantN {
					t.Errorf("firstDial: %v after %d attempts; want error %v after %d", err, n, tt.wantErr, tt.wantN)
				}
			})
		})
	}
}
