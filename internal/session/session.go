package session

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

// Signals end the session the way Ctrl-C does. SIGHUP is what a terminal
// or an interactive SSH session sends when it goes away.
var Signals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// ErrOutputGone is the context's cause when writing to standard output or
// error failed: nobody reads what sysroll prints any more.
var ErrOutputGone = errors.New("output closed: the viewer went away")

// Session is one run of sysroll on behalf of whoever watches its output.
type Session struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	stop   func()
	pipe   chan os.Signal
}

// Start begins catching Signals and SIGPIPE. SIGPIPE is caught with
// signal.Notify rather than ignored: an ignored signal stays ignored in
// every child (hooks, exec probes, journalctl), while a caught one is reset
// to its default when a child is executed. Caught, a broken pipe on
// standard output or error is a write error (EPIPE) that Output sees,
// instead of the end of the process.
func Start(parent context.Context) *Session {
	sigCtx, stop := signal.NotifyContext(parent, Signals...)
	ctx, cancel := context.WithCancelCause(sigCtx)
	s := &Session{ctx: ctx, cancel: cancel, stop: stop, pipe: make(chan os.Signal, 1)}
	// Nobody reads this channel: the write error itself tells Output the
	// viewer is gone, and a full channel just drops further SIGPIPEs.
	signal.Notify(s.pipe, syscall.SIGPIPE)
	return s
}

// Context ends on the first of Signals or once an Output fails to write.
func (s *Session) Context() context.Context { return s.ctx }

// Output returns what to write f's output through. A terminal is returned
// as it is: the CLI draws its live view only on an *os.File terminal, and
// a terminal that goes away hangs up (SIGHUP), which ends the context.
// Anything else (a pipe, a file, a socket) is wrapped in a Writer that
// ends the context on its first failed write and discards the rest.
func (s *Session) Output(f *os.File) io.Writer {
	if term.IsTerminal(int(f.Fd())) {
		return f
	}
	return NewWriter(f, func() { s.cancel(ErrOutputGone) })
}

// Stop releases the signals: from then on they have their default effect.
func (s *Session) Stop() {
	s.stop()
	signal.Stop(s.pipe)
	s.cancel(nil)
}
