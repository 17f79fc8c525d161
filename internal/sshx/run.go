package sshx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/ssh"
)

// ExitSignalError: the remote command was killed by a signal.
type ExitSignalError struct {
	Host   string
	Signal string
}

func (e *ExitSignalError) Error() string {
	return fmt.Sprintf("host %s: remote command killed by signal %s", e.Host, e.Signal)
}

// Run runs argv on host (quoted for the remote shell, see ShellQuote) with
// stdin (may be nil) and returns its stdout, stderr and exit code. A
// non-zero exit is not an error; err is set when the command could not run
// or finish: connection failures, ErrConnLost, a signal (*ExitSignalError,
// code -1), or ctx being done, which closes the session.
func (p *Pool) Run(ctx context.Context, host string, argv []string, stdin io.Reader) (stdout, stderr []byte, code int, err error) {
	var out, errb bytes.Buffer
	code, err = p.Stream(ctx, host, argv, stdin, &out, &errb)
	return out.Bytes(), errb.Bytes(), code, err
}

// Stream is Run writing output to stdout/stderr as it arrives, for long or
// endless commands (following a file): cancel ctx to stop it.
func (p *Pool) Stream(ctx context.Context, host string, argv []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	cmd, err := ShellQuote(argv)
	if err != nil {
		return -1, fmt.Errorf("host %s: %w", host, err)
	}
	c, err := p.Conn(ctx, host)
	if err != nil {
		return -1, err
	}
	return c.exec(ctx, cmd, stdin, stdout, stderr)
}

// exec runs one command line in a new session on c.
func (c *Conn) exec(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	name := c.Target.Name
	if err := c.Lost(); err != nil {
		return -1, err
	}
	s, err := c.client.NewSession()
	if err != nil {
		if lost := c.Lost(); lost != nil {
			return -1, lost
		}
		return -1, fmt.Errorf("host %s: open session: %w", name, err)
	}
	defer s.Close()
	s.Stdin, s.Stdout, s.Stderr = stdin, stdout, stderr
	if err := s.Start(cmd); err != nil {
		return -1, fmt.Errorf("host %s: start %q: %w", name, cmd, err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		// SIGTERM (sshd delivers "signal" requests since OpenSSH 7.9),
		// then close the channel so the command's pipes are hung up too.
		_ = s.Signal(ssh.SIGTERM)
		s.Close()
		// The output copiers must be done before the caller's writers are
		// handed back. The peer acknowledges the close; on a dead link the
		// keepalive closes the connection, which ends them too.
		select {
		case <-done:
		case <-c.Done():
			<-done
		}
		return -1, fmt.Errorf("host %s: %q: %w", name, cmd, ctx.Err())
	case <-c.Done():
		s.Close()
		<-done // the connection is closed: the copiers end
		return -1, c.Lost()
	}
	if err == nil {
		return 0, nil
	}
	var exit *ssh.ExitError
	if errors.As(err, &exit) {
		if exit.Signal() != "" {
			return -1, &ExitSignalError{Host: name, Signal: exit.Signal()}
		}
		return exit.ExitStatus(), nil
	}
	if lost := c.Lost(); lost != nil {
		return -1, lost
	}
	return -1, fmt.Errorf("host %s: %q: %w", name, cmd, err)
}
