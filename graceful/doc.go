// Package graceful lets a Go service follow systemd's service protocol in a
// few lines, so that sysroll (or plain systemctl) can restart it without
// losing a request.
//
//	srv := &graceful.Server{
//		HTTP:   &http.Server{Handler: mux},
//		Addr:   "127.0.0.1:8081",      // used only when systemd passes no socket
//		Ready:  warmUp,                // optional: READY=1 only after it returns nil
//		Logger: logger,
//	}
//	if err := srv.Run(ctx); err != nil { ... }
//
// What Run does, in order:
//
//  1. Listen: take the socket systemd passed (LISTEN_PID, LISTEN_FDS,
//     LISTEN_FDNAMES; pick one by FileDescriptorName= with ListenerName),
//     else listen on Addr. The activation variables are unset so children
//     do not inherit them.
//  2. Warm up: run Ready. Nothing is accepted yet, so on a socket shared by
//     several instances the kernel keeps handing connections to the
//     instances that are serving, and on a private port clients wait in the
//     backlog instead of being refused.
//  3. Serve, then send READY=1 (with STATUS=). With Type=notify, systemctl
//     start/restart returns only now.
//  4. On SIGHUP: RELOADING=1 + MONOTONIC_USEC=, Reload, READY=1.
//  5. On SIGTERM, SIGINT or ctx done: STOPPING=1, stop accepting, answer
//     every request with "Connection: close" so that keep-alive clients
//     close their connections themselves (for up to IdleDrain; connections
//     quiet for 100ms are closed), let in-flight requests finish for up to
//     ShutdownTimeout, close the rest, return. Closing the listener
//     closes this process's copy of a shared socket only: systemd (PID 1) keeps it open and the other instances
//     keep accepting, so a connection arriving while this instance restarts
//     waits in the queue and is never refused.
//
// Throughout, when WatchdogSec= is set (WATCHDOG_USEC), WATCHDOG=1 is sent
// every half timeout, optionally gated by WatchdogCheck.
//
// A unit for it (a template with one instance per port, or several instances
// sharing one socket unit via Sockets=):
//
//	[Service]
//	Type=notify
//	ExecStart=/opt/hello/current/hello --port=%i
//	ExecReload=kill -HUP $MAINPID
//	TimeoutStopSec=10
//	WatchdogSec=10
//	Restart=on-failure
//
// The parts are usable alone for servers that Server does not fit: Listen
// and Listeners for activation, Notifier and its messages (MsgReady, ...)
// for sd_notify, Watchdog for pings. Nothing in the package keeps global
// state; everything a run needs is in a Server value, and Env replaces the
// process environment in tests.
package graceful
