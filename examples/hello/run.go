package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sysroll/sysroll/graceful"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // could not listen, not ready (--fail-at-start), drain cut short
	exitUsage   = 2 // bad flags or environment
	exitCrash   = 2 // --crash-after: the "crash" a rollout must catch
)

// errFailAtStart is the --fail-at-start failure.
var errFailAtStart = errors.New("failing at start on purpose (--fail-at-start)")

// run is the whole program; main only adds the process around it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseConfig(args, os.Getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "hello: %v\n", err)
		return exitUsage
	}
	if cfg.printVersion {
		fmt.Fprintln(stdout, cfg.version)
		return exitOK
	}

	// One lock for the logger and the --log-errors lines: whole lines only.
	stderr = &lockedWriter{w: stderr}
	log := slog.New(slog.NewTextHandler(stderr, nil)).With("version", cfg.version)
	ln, err := graceful.Listen(cfg.socketName, cfg.listen)
	if err != nil {
		log.Error("cannot listen", "err", err)
		return exitFailure
	}
	a := &app{
		version:        cfg.version,
		instance:       instanceID(cfg, ln.Addr()),
		pid:            os.Getpid(),
		now:            time.Now,
		unhealthyAfter: cfg.unhealthyAfter,
		latency:        cfg.latency,
		sleep:          sleepCtx,
		errorRate:      spread{ppm: cfg.errorRate.ppm},
		errorAfter:     cfg.errorAfter,
		logRate:        spread{ppm: cfg.logErrors.perRequest.ppm},
		errLines:       &errorLines{w: stderr},
		metrics:        newMetrics(),
	}
	log = log.With("instance", a.instance)
	log.Info("listening", "addr", ln.Addr().String())
	httpSrv := &http.Server{Handler: a.routes(), ReadHeaderTimeout: 10 * time.Second}

	var crashed atomic.Bool
	var crashTimer *time.Timer
	// The N/s error lines run from ready until run returns.
	linesCtx, stopLines := context.WithCancel(ctx)
	var lines sync.WaitGroup
	defer func() { stopLines(); lines.Wait() }()
	srv := &graceful.Server{
		HTTP:            httpSrv,
		Listener:        ln,
		ShutdownTimeout: cfg.shutdownTimeout,
		Logger:          log,
		Ready: func(ctx context.Context) error {
			if err := warmUp(ctx, cfg, log); err != nil {
				return err
			}
			a.markReady()
			if every := cfg.logErrors.interval(); every > 0 {
				log.Info("logging errors on purpose (--log-errors)", "rate", cfg.logErrors.String())
				ticker := time.NewTicker(every)
				lines.Go(func() {
					defer ticker.Stop()
					a.errLines.every(linesCtx, ticker.C, cfg.logErrors)
				})
			}
			if cfg.crashAfter > 0 {
				crashTimer = time.AfterFunc(cfg.crashAfter, func() {
					log.Error("crashing on purpose (--crash-after)", "after", cfg.crashAfter)
					crashed.Store(true)
					_ = httpSrv.Close() // abrupt: in-flight requests are cut, as in a real crash
				})
			}
			return nil
		},
	}
	err = srv.Run(ctx)
	if crashTimer != nil {
		crashTimer.Stop()
	}
	switch {
	case crashed.Load():
		return exitCrash
	case err != nil:
		log.Error("exiting", "err", err)
		return exitFailure
	}
	return exitOK
}

// warmUp is the app's startup work before READY=1: here only the demo knobs.
func warmUp(ctx context.Context, cfg config, log *slog.Logger) error {
	if cfg.startupDelay > 0 {
		log.Info("delaying startup (--startup-delay)", "delay", cfg.startupDelay)
		t := time.NewTimer(cfg.startupDelay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if cfg.failAtStart {
		return errFailAtStart
	}
	return nil
}

// instanceID is --instance (or HELLO_INSTANCE), else the --port, else the
// listening port. With a shared socket every instance listens on the same
// port, so the unit should pass --port=%i or --instance=%i.
func instanceID(cfg config, addr net.Addr) string {
	switch {
	case cfg.instance != "":
		return cfg.instance
	case cfg.port != 0:
		return strconv.Itoa(cfg.port)
	}
	if tcp, ok := addr.(*net.TCPAddr); ok {
		return strconv.Itoa(tcp.Port)
	}
	return addr.String()
}
