package graceful

import (
	"context"
	"log/slog"
	"time"
)

// Watchdog keeps systemd's watchdog (WatchdogSec=) fed: it sends WATCHDOG=1
// at half the timeout, as sd_watchdog_enabled(3) recommends, so one late
// tick never trips it.
type Watchdog struct {
	// Notifier receives the pings.
	Notifier Notifier
	// Timeout is the watchdog timeout, e.g. from Env.WatchdogTimeout.
	Timeout time.Duration
	// Check, if set, runs before every ping and the ping is skipped when it
	// fails: an app that is alive but wedged then gets restarted by systemd
	// instead of being kept alive by a timer. It gets half the interval.
	Check func(ctx context.Context) error
	// Logger receives failed checks and sends; nil discards.
	Logger *slog.Logger
}

// Run pings immediately, then every Timeout/2 until ctx ends. It returns at
// once when Timeout is not positive.
func (w Watchdog) Run(ctx context.Context) {
	if w.Timeout <= 0 {
		return
	}
	log := w.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	every := w.Timeout / 2
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		w.ping(ctx, log, every/2)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

func (w Watchdog) ping(ctx context.Context, log *slog.Logger, checkTimeout time.Duration) {
	if w.Check != nil {
		cctx, cancel := context.WithTimeout(ctx, checkTimeout)
		err := w.Check(cctx)
		cancel()
		if err != nil {
			log.Warn("watchdog check failed, not pinging", "err", err)
			return
		}
	}
	if err := w.Notifier.Notify(MsgWatchdog); err != nil {
		log.Warn("watchdog ping failed", "err", err)
	}
}
