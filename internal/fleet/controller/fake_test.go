package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/sysroll/sysroll/internal/fleet/journal"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
	"github.com/sysroll/sysroll/internal/sshx"
)

// world is what the fake hosts share: one log of every call, in order,
// so a test can ask what happened before what, fleet-wide.
type world struct {
	mu  sync.Mutex
	log []string
}

func (w *world) add(host, what string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.log = append(w.log, host+" "+what)
}

// calls is the log entries of what (e.g. "start"), in order.
func (w *world) calls(what string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, l := range w.log {
		if strings.HasSuffix(l, " "+what) || strings.Contains(l, " "+what+" ") {
			out = append(out, l)
		}
	}
	return out
}

// index is the position of the first entry equal to s, -1 if none.
func (w *world) index(s string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, l := range w.log {
		if l == s {
			return i
		}
	}
	return -1
}

// fakeHost is a Host the test configures: what each call answers and
// how each step ends.
type fakeHost struct {
	w    *world
	name string

	connectErr error
	noBinary   bool // the build is not there until PushBinary
	protocol   int  // 0: schema.FleetProtocol
	statusErr  error
	has        bool
	stageErr   error
	startErr   error
	// results of the steps by verb ("deploy", "rollback"); succeeded when unset.
	results map[string]release.Result
	// loseFollows: that many follows end with a lost connection half way.
	loseFollows int
	// lost: once its step started, the host answers nothing more.
	lost bool
	// onFollow runs at the start of every follow (a test's Ctrl-C).
	onFollow func()
	// previous is the release its rollback goes to ("v1" when ""); lacks,
	// the releases it does not hold.
	previous string
	lacks    map[string]bool

	mu      sync.Mutex
	events  []byte     // the events file
	args    [][]string // every step's arguments, in order
	lastRec *release.Record
	claims  int
	steps   int
}

func (h *fakeHost) Name() string { return h.name }

func (h *fakeHost) Connect(context.Context) error {
	h.w.add(h.name, "connect")
	if h.connectErr != nil {
		return fmt.Errorf("%s: %w", h.name, h.connectErr)
	}
	return nil
}

func (h *fakeHost) Version(context.Context) (schema.Version, bool, error) {
	h.w.add(h.name, "version")
	if h.noBinary {
		return schema.Version{}, false, nil
	}
	p := h.protocol
	if p == 0 {
		p = schema.FleetProtocol
	}
	return schema.Version{Schema: schema.VersionV1, Protocol: p, BootID: "boot-" + h.name}, true, nil
}

func (h *fakeHost) PushBinary(context.Context) (int64, error) {
	h.w.add(h.name, "push-binary")
	if h.noBinary {
		h.noBinary = false
		return 1000, nil
	}
	return 0, nil
}

func (h *fakeHost) Has(_ context.Context, _, _, _ string) (bool, error) {
	h.w.add(h.name, "has")
	return h.has, nil
}

func (h *fakeHost) PushArtifact(context.Context) (int64, error) {
	h.w.add(h.name, "push-artifact")
	return 200, nil
}

func (h *fakeHost) Stage(_ context.Context, service, version, sha, fleetID string) (schema.Staged, error) {
	h.w.add(h.name, "stage")
	if h.stageErr != nil {
		return schema.Staged{}, fmt.Errorf("%s: %w", h.name, h.stageErr)
	}
	return schema.Staged{Schema: schema.StagedV1, Service: service, Version: version, SHA256: sha, FleetID: fleetID}, nil
}

func (h *fakeHost) Status(_ context.Context, service string) (schema.Status, error) {
	h.w.add(h.name, "status")
	if h.statusErr != nil {
		return schema.Status{}, fmt.Errorf("%s: %w", h.name, h.statusErr)
	}
	return schema.Status{Schema: "sysroll.status/v1", Service: service, Instances: []schema.InstanceStatus{
		{Instance: "8081", Health: schema.Healthy}, {Instance: "8082", Health: schema.Healthy}}}, nil
}

// Probe answers as the calls it stands for would (version, status, has;
// claims for a claimFake), each logged as that call, after "probe" (or "probe-handshake"): the
// tests' account of what was read does not depend on how many sessions
// it took.
func (h *fakeHost) Probe(ctx context.Context, q ProbeQuery) (HostProbe, bool, error) {
	h.w.add(h.name, probeLog(q))
	return h.probe(ctx, q, nil)
}

// probeLog is how a probe is logged: a handshake's says so.
func probeLog(q ProbeQuery) string {
	if q.Handshake {
		return "probe-handshake"
	}
	return "probe"
}

// probe is Probe with claims, when not nil, reading the host's claims.
func (h *fakeHost) probe(ctx context.Context, q ProbeQuery, claims func() ([]*journal.Claim, error)) (HostProbe, bool, error) {
	v, ok, err := h.Version(ctx)
	if err != nil || !ok {
		return HostProbe{}, ok, err
	}
	p := HostProbe{Version: v}
	p.Status, p.StatusErr = h.Status(ctx, q.Service)
	if q.Version != "" {
		p.Has, p.HasErr = h.Has(ctx, q.Service, q.Version, q.SHA256)
	}
	if claims != nil {
		cs, err := claims()
		p.ClaimsErr = err
		for _, c := range cs {
			if !c.Finished { // as the host's probe: the unfinished ones only
				p.Claims = append(p.Claims, c)
			}
		}
	}
	return p, true, nil
}

// Probe is fakeHost's with the claims the host holds.
func (h *claimFake) Probe(ctx context.Context, q ProbeQuery) (HostProbe, bool, error) {
	h.w.add(h.name, probeLog(q))
	return h.probe(ctx, q, h.held)
}

// held is the claims Claims returns, unlogged: a probe's are not a
// Claims call (the tests tell the two reads apart).
func (h *claimFake) held() ([]*journal.Claim, error) {
	h.cmu.Lock()
	defer h.cmu.Unlock()
	var out []*journal.Claim
	for _, data := range h.claims {
		c, err := journal.DecodeClaim(h.name, data)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Start "runs" the step at once: its events are appended and its record
// written; Follow then reads them.
func (h *fakeHost) Start(_ context.Context, s Step) error {
	verb := s.Args[0]
	h.w.add(h.name, "start "+verb)
	if h.startErr != nil {
		return fmt.Errorf("%s: %w", h.name, h.startErr)
	}
	res := h.results[verb]
	if res == "" {
		res = release.ResultSucceeded
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.args = append(h.args, s.Args)
	h.steps++
	for _, t := range []string{"rollout-start", "batch-start", "batch-done"} {
		h.events = fmt.Appendf(h.events, `{"type":%q,"seq":%d}`+"\n", t, h.steps)
	}
	h.events = fmt.Appendf(h.events, `{"type":"rollout-end","result":%q}`+"\n", res)
	h.lastRec = &release.Record{ID: fmt.Sprintf("r%d", h.steps), Result: res}
	h.w.add(h.name, "end "+verb)
	return nil
}

// RollbackTarget is the dry run of the host's rollback: previous, or to
// when the host holds it.
func (h *fakeHost) RollbackTarget(_ context.Context, _, to string) (string, error) {
	h.w.add(h.name, "rollback-target")
	if to == "" {
		if h.previous == "" {
			return "v1", nil
		}
		return h.previous, nil
	}
	if h.lacks[to] {
		return "", fmt.Errorf("%s: sysroll rollback exited 2: no release %s", h.name, to)
	}
	return to, nil
}

func (h *fakeHost) Follow(ctx context.Context, _ Step, from int64, line func([]byte)) (int64, error) {
	h.w.add(h.name, fmt.Sprintf("follow %d", from))
	if h.onFollow != nil {
		h.onFollow()
	}
	if err := ctx.Err(); err != nil {
		return from, err
	}
	h.mu.Lock()
	data := h.events[from:]
	lose := h.loseFollows > 0 || h.lost
	if lose {
		h.loseFollows--
	}
	h.mu.Unlock()
	ls := strings.SplitAfter(string(data), "\n")
	ls = ls[:len(ls)-1] // after the last newline: nothing
	if lose {
		ls = ls[:len(ls)/2]
	}
	off := from
	for _, l := range ls {
		line([]byte(strings.TrimSuffix(l, "\n")))
		off += int64(len(l))
	}
	if lose {
		return off, fmt.Errorf("%s: follow: %w", h.name, sshx.ErrConnLost)
	}
	return off, nil
}

func (h *fakeHost) Stop(context.Context, Step) error {
	h.w.add(h.name, "stop")
	return nil
}

func (h *fakeHost) Record(context.Context, string, string) (*release.Record, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.lost && h.steps > 0 {
		return nil, fmt.Errorf("%s: history: %w", h.name, sshx.ErrConnLost)
	}
	return h.lastRec, nil
}

func (h *fakeHost) WriteClaim(context.Context, string, string, []byte) error {
	h.mu.Lock()
	h.claims++
	h.mu.Unlock()
	h.w.add(h.name, "claim")
	return nil
}

// progress records what the controller reports, per host.
type progress struct {
	mu     sync.Mutex
	events map[string][]string
	notes  []string
}

func (p *progress) Event(host string, line []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.events == nil {
		p.events = map[string][]string{}
	}
	p.events[host] = append(p.events[host], string(line))
}

func (p *progress) Note(host, msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.notes = append(p.notes, host+": "+msg)
}

var errBoom = errors.New("boom")
