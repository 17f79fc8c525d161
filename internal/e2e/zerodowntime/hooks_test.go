//go:build integration

package zerodowntime

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// hookScript appends one line per call: the hook, the time, and the
// environment sysroll gives it (the release also resolved, to see which
// release the instance pointed at when the hook ran).
const hookScript = `#!/bin/sh
echo "$1 $(date +%%s.%%N) service=$SYSROLL_SERVICE instance=$SYSROLL_INSTANCE port=$SYSROLL_PORT release=$SYSROLL_RELEASE resolved=$(readlink -f "$SYSROLL_RELEASE")" >> %s
`

// hookLine is one line of the hook log.
type hookLine struct {
	hook string
	at   time.Time
	env  map[string]string
}

func parseHookLog(t *testing.T, text string) []hookLine {
	t.Helper()
	var out []hookLine
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			t.Fatalf("hook log line %q", l)
		}
		secs, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			t.Fatalf("hook log line %q: %v", l, err)
		}
		h := hookLine{hook: f[0], at: time.Unix(0, int64(secs*1e9)), env: map[string]string{}}
		for _, kv := range f[2:] {
			k, v, _ := strings.Cut(kv, "=")
			h.env[k] = v
		}
		out = append(out, h)
	}
	return out
}

// pre_stop and post_start run around each instance's restart, in order,
// once each per instance, with SYSROLL_SERVICE, SYSROLL_INSTANCE,
// SYSROLL_PORT and SYSROLL_RELEASE: pre_stop while the instance still
// points at the old release and before systemd starts the new process,
// post_start after the new process passed its gate.
func TestHooksRunAroundEachRestart(t *testing.T) {
	dir := path.Join(workRoot, "zd-hooks")
	script, log := path.Join(dir, "hook.sh"), path.Join(dir, "hooks.log")
	e2etest.WriteFile(t, script, fmt.Sprintf(hookScript, log), 0o755)
	s := &service{t: t, name: "zd-hooks", ports: []int{18450, 18451, 18452},
		extra: fmt.Sprintf("hooks:\n  pre_stop: \"%[1]s pre_stop\"\n  post_start: \"%[1]s post_start\"\n", script)}
	s.install()
	e2etest.Run(t, "rm", "-f", log) // nothing before the deploy counts

	r := s.sysroll("deploy", s.name, "--artifact", s.release("v2"), "--version", "v2", "--json")
	if r.Code != 0 {
		t.Fatalf("deploy v2: %s", r)
	}
	evs := e2etest.ParseEvents(t, r.Stdout)
	logText := e2etest.Run(t, "cat", log)
	if logText.Code != 0 {
		t.Fatalf("no hook log: %s", logText)
	}
	t.Logf("hook log:\n%s", logText.Stdout)
	lines := parseHookLog(t, logText.Stdout)

	// Batches of one, in instance order: pre, post, pre, post, ...
	var want []string
	for _, in := range s.instances() {
		want = append(want, "pre_stop "+in, "post_start "+in)
	}
	var got []string
	for _, l := range lines {
		got = append(got, l.hook+" "+l.env["instance"])
	}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Fatalf("hooks ran as %v, want %v", got, want)
	}

	units := make([]string, 0, len(s.instances()))
	for _, in := range s.instances() {
		units = append(units, s.unit(in))
	}
	started := e2etest.UnitProps(t, units, "ExecMainStartTimestamp")
	for i, in := range s.instances() {
		pre, post := lines[2*i], lines[2*i+1]
		for _, l := range []hookLine{pre, post} {
			if l.env["service"] != s.name || l.env["port"] != in || !strings.HasSuffix(l.env["release"], "/"+in+"/current") {
				t.Errorf("%s of %s: environment %v", l.hook, in, l.env)
			}
		}
		if !strings.HasSuffix(pre.env["resolved"], "/v1") {
			t.Errorf("pre_stop of %s: the instance pointed at %q, want the old release v1", in, pre.env["resolved"])
		}
		if !strings.HasSuffix(post.env["resolved"], "/v2") {
			t.Errorf("post_start of %s: the instance pointed at %q, want the new release v2", in, post.env["resolved"])
		}
		restart := phaseAt(t, evs, in, "restart")
		gate := phaseAt(t, evs, in, "gate")
		proc, err := stamp(started[s.unit(in)]["ExecMainStartTimestamp"])
		if err != nil {
			t.Fatalf("%s: ExecMainStartTimestamp: %v", s.unit(in), err)
		}
		ts := func(x time.Time) string { return x.Format("15:04:05.000") }
		t.Logf("instance %s: pre_stop %s, restart %s, new process %s, gate %s, post_start %s",
			in, ts(pre.at), ts(restart), ts(proc), ts(gate), ts(post.at))
		if !pre.at.Before(restart) || !pre.at.Before(proc) {
			t.Errorf("instance %s: pre_stop at %s, not before the restart (%s, process %s)", in, ts(pre.at), ts(restart), ts(proc))
		}
		if !post.at.After(gate) || !post.at.After(proc) {
			t.Errorf("instance %s: post_start at %s, not after the restart and gate (%s, process %s)", in, ts(post.at), ts(gate), ts(proc))
		}
		if i > 0 && !lines[2*i-1].at.Before(pre.at) {
			t.Errorf("instance %s: pre_stop before the previous instance's post_start", in)
		}
	}
	s.assertAllOn("v2")
}
