package drain

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// ErrAgentNotAsked is wrapped by Agent's Drain and Undrain when HAProxy did
// not ask the responder about the instance in time after its mark
// changed: the server line lacks the agent-check, or HAProxy cannot reach
// the responder. Drain undoes its mark and stops nothing.
var ErrAgentNotAsked = errors.New("haproxy did not ask the agent")

// ConnTable finds who is connected to a local port: portcheck.Proc.
type ConnTable interface {
	// Established returns the remote address of every established TCP
	// connection to port.
	Established(port int) ([]netip.AddrPort, error)
}

// Agent drains instances through HAProxy's agent-check, for a balancer on
// another machine (docs/haproxy-fleet.md): the host step marks the
// instance, HAProxy asks the socket-activated responder (`sysroll agent`)
// every agent-inter and is answered from the mark. Nothing with admin
// rights is exposed, the state survives losing the controller, and every
// balancer of an HA pair follows the same marks.
//
// The host cannot see HAProxy, so it takes two things as proof instead:
// the responder's record that it answered this very mark (its token), and
// the connections from the balancers to the instance's port. Drain marks,
// waits for the answer "drain" (bounded by AckTimeout; without one it
// clears the mark and fails before anything is stopped: the host never
// begins a drain it cannot undo), then waits until no balancer is
// connected (ErrDrainTimeout when ctx or DrainTimeout ends first: a
// warning to the engine). Undrain marks ready, waits for the answer, then
// UpWait, the time HAProxy's own checks take to bring the server UP.
type Agent struct {
	// Service names the service, for messages and the agent-send hint.
	Service string
	// Listen is the responder's address, for the hint.
	Listen string
	// Store keeps marks and reads the responder's answers.
	Store AgentStore
	// Conns counts connections to an instance's port.
	Conns ConnTable
	// Port is an instance's port; without one, no connection is waited for.
	Port func(instance string) (int, bool)
	// From are the balancers' addresses; empty: any non-loopback peer.
	From []netip.Addr
	// Inter is HAProxy's agent-inter.
	Inter time.Duration
	// AckTimeout bounds the wait for an answer to a new mark; default 3 × Inter.
	AckTimeout time.Duration
	// UpWait follows an answered undrain.
	UpWait time.Duration
	// DrainTimeout bounds the connection wait on top of ctx; 0: ctx alone.
	DrainTimeout time.Duration
	// PollInterval is how often answers and connections are read; default 100ms.
	PollInterval time.Duration
}

var (
	_ Drainer      = (*Agent)(nil)
	_ Checker      = (*Agent)(nil)
	_ AllUndrainer = (*Agent)(nil)
)

func (a *Agent) poll() time.Duration {
	if a.PollInterval > 0 {
		return a.PollInterval
	}
	return DefaultPollInterval
}

func (a *Agent) ackTimeout() time.Duration {
	if a.AckTimeout > 0 {
		return a.AckTimeout
	}
	return 3 * a.Inter
}

// Drain implements Drainer.
func (a *Agent) Drain(ctx context.Context, instance string) error {
	tok := newToken()
	if err := a.Store.SetMark(instance, Mark{State: AgentDrain, Token: tok}); err != nil {
		return fmt.Errorf("drain %s: %w", instance, err)
	}
	if err := a.waitAnswer(ctx, instance, AgentDrain, tok); err != nil {
		// Undo: nothing may stay marked that HAProxy was never told.
		undo := a.Store.SetMark(instance, Mark{State: AgentReady, Token: newToken()})
		return errors.Join(fmt.Errorf("drain %s: %w", instance, err), undo)
	}
	port, ok := 0, false
	if a.Port != nil {
		port, ok = a.Port(instance)
	}
	if !ok {
		return nil
	}
	if a.DrainTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.DrainTimeout)
		defer cancel()
	}
	start := time.Now()
	var left []netip.AddrPort
	quiet := 0
	err := a.every(ctx, func() (bool, error) {
		conns, err := a.Conns.Established(port)
		if err != nil {
			return false, err
		}
		if left = a.fromBalancers(conns); len(left) > 0 {
			quiet = 0
			return false, nil
		}
		// Twice in a row, a poll apart: the answer is recorded just after
		// it is sent, so HAProxy may still be taking a request to the
		// instance at the first look; and a health check's connection
		// comes and goes between two looks.
		quiet++
		return quiet >= 2, nil
	})
	if isTimeout(ctx, err) {
		cause := ctx.Err()
		if errors.Is(cause, context.DeadlineExceeded) {
			cause = fmt.Errorf("%w (%w)", ErrDrainTimeout, cause)
		}
		return fmt.Errorf("drain %s: %s from the load balancer still open on port %d after %s: %w",
			instance, plural(len(left), "connection"), port, time.Since(start).Round(time.Millisecond), cause)
	}
	if err != nil {
		return fmt.Errorf("drain %s: %w", instance, err)
	}
	return nil
}

// Undrain implements Drainer.
func (a *Agent) Undrain(ctx context.Context, instance string) error {
	tok := newToken()
	if err := a.Store.SetMark(instance, Mark{State: AgentReady, Token: tok}); err != nil {
		return fmt.Errorf("undrain %s: %w", instance, err)
	}
	if err := a.waitAnswer(ctx, instance, AgentReady, tok); err != nil {
		return fmt.Errorf("undrain %s: %w", instance, err)
	}
	return sleep(ctx, a.UpWait)
}

// UndrainAll implements AllUndrainer: every instance is marked ready at
// once, then each answer is waited for, then UpWait once.
func (a *Agent) UndrainAll(ctx context.Context, instances []string) error {
	toks := map[string]string{}
	var errs []error
	for _, inst := range instances {
		toks[inst] = newToken()
		errs = append(errs, a.Store.SetMark(inst, Mark{State: AgentReady, Token: toks[inst]}))
	}
	for _, inst := range instances {
		if err := a.waitAnswer(ctx, inst, AgentReady, toks[inst]); err != nil {
			errs = append(errs, fmt.Errorf("undrain %s: %w", inst, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return sleep(ctx, a.UpWait)
}

// Check implements Checker: before anything is touched, HAProxy must be
// asking about every instance (an answer younger than AckTimeout, or one
// within it), else the server lines lack the agent-check.
func (a *Agent) Check(ctx context.Context, instances []string) error {
	var errs []error
	for _, inst := range instances {
		since := time.Now().Add(-a.ackTimeout())
		if err := a.waitFor(ctx, inst, func(ans Answer) bool { return ans.At.After(since) }); err != nil {
			errs = append(errs, fmt.Errorf("instance %s: %w", inst, err))
		}
	}
	return errors.Join(errs...)
}

// waitAnswer waits until the responder answered state for the mark token.
func (a *Agent) waitAnswer(ctx context.Context, instance string, state AgentState, token string) error {
	return a.waitFor(ctx, instance, func(ans Answer) bool { return ans.State == state && ans.Token == token })
}

// waitFor polls instance's answer until ok, bounded by ackTimeout; running
// out of it is ErrAgentNotAsked (never a ctx deadline: to the engine, a
// timed-out drain is a warning, and this one must stop the step).
func (a *Agent) waitFor(ctx context.Context, instance string, ok func(Answer) bool) error {
	actx, cancel := context.WithTimeout(ctx, a.ackTimeout())
	defer cancel()
	start := time.Now()
	var last string
	err := a.every(actx, func() (bool, error) {
		ans, seen, err := a.Store.Answer(instance)
		switch {
		case err != nil:
			return false, err
		case !seen:
			last = "never asked"
		default:
			last = fmt.Sprintf("last asked %s ago, answered %s", time.Since(ans.At).Round(time.Millisecond), ans.State)
		}
		return seen && ok(ans), nil
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if actx.Err() != nil {
		return fmt.Errorf("%w about %s within %s (%s): every server line of %s needs `agent-check agent-addr THIS-HOST agent-port %s agent-send \"%s/%s\\n\" agent-inter %s`, and HAProxy must reach %s",
			ErrAgentNotAsked, instance, time.Since(start).Round(time.Millisecond), last, a.Service, a.agentPort(), a.Service, instance, a.Inter, a.Listen)
	}
	return err
}

func (a *Agent) agentPort() string {
	if i := strings.LastIndexByte(a.Listen, ':'); i >= 0 {
		return a.Listen[i+1:]
	}
	return a.Listen
}

// fromBalancers keeps the connections from a balancer.
func (a *Agent) fromBalancers(conns []netip.AddrPort) []netip.AddrPort {
	var out []netip.AddrPort
	for _, c := range conns {
		ip := c.Addr().Unmap()
		if len(a.From) > 0 && slices.Contains(a.From, ip) || len(a.From) == 0 && !ip.IsLoopback() {
			out = append(out, c)
		}
	}
	return out
}

// every runs step now and then every PollInterval until it is done, fails
// or ctx ends (ctx's error).
func (a *Agent) every(ctx context.Context, step func() (bool, error)) error {
	t := time.NewTicker(a.poll())
	defer t.Stop()
	for {
		done, err := step()
		if err != nil || done {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
