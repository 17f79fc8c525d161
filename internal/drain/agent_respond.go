package drain

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// maxAgentRequest bounds the line read from HAProxy: agent-send is a short
// string such as "hello/8081\n".
const maxAgentRequest = 256

// Responder answers one HAProxy agent-check connection: `sysroll agent
// NAME`, started by systemd per connection (Accept=yes), runs it on the
// socket it was handed.
type Responder struct {
	// Service is the service this responder speaks for.
	Service string
	// Known reports whether instance is one of the service's instances.
	Known func(instance string) bool
	// Files holds the marks it reads and the answers it records.
	Files AgentFiles
	// Now is the time recorded with an answer; nil is time.Now.
	Now func() time.Time
}

// Respond reads one request line from r ("NAME/INSTANCE", HAProxy's
// agent-send), writes the instance's state to w and records the answer.
// Whatever the input (none, garbage, another service, an unknown
// instance) it writes an answer, "ready up" when it cannot tell — which
// changes nothing HAProxy's own checks decide and keeps a misconfigured
// server in traffic; the host step then sees no answer for its mark and
// refuses to stop the instance — and returns an error saying what was
// wrong.
func (rs Responder) Respond(r io.Reader, w io.Writer) (instance string, err error) {
	line, rerr := readRequest(r)
	instance, perr := rs.parse(line)
	if rerr != nil && perr != nil {
		perr = rerr
	}
	if perr != nil {
		_, _ = io.WriteString(w, AgentReady.Reply())
		return "", perr
	}
	m, err := rs.Files.ReadMark(instance)
	if err != nil {
		_, _ = io.WriteString(w, AgentReady.Reply())
		return instance, fmt.Errorf("instance %s: %w", instance, err)
	}
	if _, err := io.WriteString(w, m.State.Reply()); err != nil {
		return instance, fmt.Errorf("answer HAProxy about %s: %w", instance, err)
	}
	now := time.Now
	if rs.Now != nil {
		now = rs.Now
	}
	if err := rs.Files.WriteAnswer(instance, Answer{State: m.State, Token: m.Token, At: now()}); err != nil {
		return instance, fmt.Errorf("record the answer about %s: %w", instance, err)
	}
	return instance, nil
}

// readRequest reads up to a newline, at most maxAgentRequest bytes; a
// request without one (EOF or the caller's read deadline) is taken as it is.
func readRequest(r io.Reader) (string, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, maxAgentRequest), maxAgentRequest)
	line, err := br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return line, fmt.Errorf("read HAProxy's agent-send: %w", err)
	}
	if err != nil && !strings.HasSuffix(line, "\n") && len(line) >= maxAgentRequest {
		return "", fmt.Errorf("agent-send longer than %d bytes", maxAgentRequest)
	}
	return line, nil
}

// parse takes "NAME/INSTANCE" (trailing \r\n and blanks ignored).
func (rs Responder) parse(line string) (string, error) {
	req := strings.TrimSpace(line)
	if req == "" {
		return "", fmt.Errorf("HAProxy sent nothing: add agent-send \"%s/INSTANCE\\n\" to the server line", rs.Service)
	}
	name, inst, ok := strings.Cut(req, "/")
	if !ok || name != rs.Service {
		return "", fmt.Errorf("agent-send %q: want %q", clipReq(req), rs.Service+"/INSTANCE")
	}
	if rs.Known == nil || !rs.Known(inst) {
		return "", fmt.Errorf("agent-send %q: %s has no instance %q", clipReq(req), rs.Service, clipReq(inst))
	}
	return inst, nil
}

func clipReq(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}
