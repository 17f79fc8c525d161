package drain

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/safeio"
)

// AgentState is what the agent-check responder tells HAProxy about an
// instance.
type AgentState string

// The states an instance can be marked with.
const (
	// AgentReady: in traffic. Answered "ready up": it clears a drain the
	// agent set and never brings up a server HAProxy's own check finds
	// down ("up" counts only when the health checks pass too).
	AgentReady AgentState = "ready"
	// AgentDrain: no new requests; sessions in flight finish.
	AgentDrain AgentState = "drain"
)

// Reply is the line the responder writes for s.
func (s AgentState) Reply() string {
	if s == AgentDrain {
		return "drain\n"
	}
	return "ready up\n"
}

// Mark is what the host step asked the responder to say about an
// instance, with a token that the responder echoes in its Answer, so the
// step knows HAProxy heard this mark and not an older one. No mark is
// AgentReady.
type Mark struct {
	State AgentState
	Token string
}

// Answer is what the responder last told HAProxy about an instance.
type Answer struct {
	State AgentState
	Token string    // the Mark's token it answered for ("" for no mark)
	At    time.Time // when
}

// AgentStore keeps marks and answers: AgentFiles on disk, a fake in tests.
type AgentStore interface {
	// SetMark records what HAProxy is to be told about instance.
	SetMark(instance string, m Mark) error
	// Answer returns the responder's last answer about instance; ok false
	// when it never answered.
	Answer(instance string) (a Answer, ok bool, err error)
}

// AgentFiles is the AgentStore of one service on disk: in Dir,
// INSTANCE.mark (written by the host step) and INSTANCE.asked (written by
// `sysroll agent`, one process per HAProxy connection), each replaced
// atomically, so a reader sees a whole line or the previous one.
type AgentFiles struct {
	Dir string
}

var _ AgentStore = AgentFiles{}

// AgentDir is where a service's agent files live: its state directory's
// agent/. State rather than /run: a mark must survive a reboot in the
// middle of a host step, or the instance would come back into traffic
// before the rollout decided it may (fleet.md: "undrain-pending").
func AgentDir(stateDir string) string { return filepath.Join(stateDir, "agent") }

// maxAgentFile bounds what is read of one agent file: a line.
const maxAgentFile = 512

func (f AgentFiles) path(instance, ext string) string {
	return filepath.Join(f.Dir, instance+"."+ext)
}

// SetMark implements AgentStore.
func (f AgentFiles) SetMark(instance string, m Mark) error {
	if err := os.MkdirAll(f.Dir, 0o755); err != nil {
		return fmt.Errorf("agent directory: %w", err)
	}
	return release.WriteFileAtomic(f.path(instance, "mark"), []byte(fmt.Sprintf("%s %s\n", m.State, m.Token)), 0o644)
}

// ReadMark returns instance's mark; none is AgentReady with no token.
func (f AgentFiles) ReadMark(instance string) (Mark, error) {
	b, err := safeio.ReadFileNoFollow(f.path(instance, "mark"), maxAgentFile)
	if errors.Is(err, fs.ErrNotExist) {
		return Mark{State: AgentReady}, nil
	}
	if err != nil {
		return Mark{}, err
	}
	fields := strings.Fields(string(b))
	if len(fields) != 2 || !validState(fields[0]) {
		return Mark{}, fmt.Errorf("%s: not \"drain|ready TOKEN\": %q", f.path(instance, "mark"), b)
	}
	return Mark{State: AgentState(fields[0]), Token: fields[1]}, nil
}

// WriteAnswer records what the responder answered.
func (f AgentFiles) WriteAnswer(instance string, a Answer) error {
	tok := a.Token
	if tok == "" {
		tok = "-"
	}
	line := fmt.Sprintf("%s %s %d\n", a.State, tok, a.At.UnixNano())
	return release.WriteFileAtomic(f.path(instance, "asked"), []byte(line), 0o644)
}

// Answer implements AgentStore.
func (f AgentFiles) Answer(instance string) (Answer, bool, error) {
	p := f.path(instance, "asked")
	b, err := safeio.ReadFileNoFollow(p, maxAgentFile)
	if errors.Is(err, fs.ErrNotExist) {
		return Answer{}, false, nil
	}
	if err != nil {
		return Answer{}, false, err
	}
	fields := strings.Fields(string(b))
	var ns int64
	if len(fields) == 3 {
		ns, err = strconv.ParseInt(fields[2], 10, 64)
	}
	if len(fields) != 3 || err != nil || !validState(fields[0]) {
		return Answer{}, false, fmt.Errorf("%s: not \"STATE TOKEN UNIXNANO\": %q", p, b)
	}
	a := Answer{State: AgentState(fields[0]), Token: fields[1], At: time.Unix(0, ns)}
	if a.Token == "-" {
		a.Token = ""
	}
	return a, true, nil
}

func validState(s string) bool { return s == string(AgentReady) || s == string(AgentDrain) }

// newToken is a fresh mark token: 8 random bytes, hex.
func newToken() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
