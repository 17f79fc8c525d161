package config

import (
	"strings"
	"testing"
	"time"
)

// rollout.haproxy_agent: defaults, and every refusal names the field, its
// line and column, and the rule.
func TestHAProxyAgent(t *testing.T) {
	svc, err := Parse("svc.yaml", service("rollout:\n  haproxy_agent: {listen: \"0.0.0.0:9700\"}"))
	if err != nil {
		t.Fatal(err)
	}
	a := svc.Rollout.HAProxyAgent
	if a.Inter != 2*time.Second || a.UpWait != 4*time.Second || len(a.From) != 0 {
		t.Errorf("defaults: %+v, want inter 2s, up_wait 4s, no from", a)
	}
	if p, ok := AgentPort(a.Listen); !ok || p != 9700 {
		t.Errorf("AgentPort(%q) = %d %v", a.Listen, p, ok)
	}
	for _, c := range []struct{ yaml, want string }{
		{"haproxy_agent: {inter: 1s}", "svc.yaml:2:18: rollout.haproxy_agent.listen: is required"},
		{"haproxy_agent: {listen: /run/agent.sock}", "agent-check speaks TCP"},
		{"haproxy_agent: {listen: \"0.0.0.0:8081\"}", "port 8081 is an instance's port"},
		{"haproxy_agent: {listen: \"lb:9700\"}", "must be an IP address"},
		{"haproxy_agent: {listen: \"9700\", inter: 1ms}", "rollout.haproxy_agent.inter"},
		{"haproxy_agent: {listen: \"9700\", up_wait: 2h}", "rollout.haproxy_agent.up_wait"},
		{"haproxy_agent: {listen: \"9700\", from: [10.0.0.1, lb.example]}", "svc.yaml:2:52: rollout.haproxy_agent.from[1]: \"lb.example\" is not an IP address"},
		{"haproxy_agent: {listen: \"9700\", bogus: 1}", "bogus"},
		{"drain_timeout: 5s\n  haproxy_agent: {listen: \"9700\"}", "rollout.drain_timeout: 5s must be longer than 3 × rollout.haproxy_agent.inter (6s)"},
	} {
		_, err := Parse("svc.yaml", service("rollout:\n  "+c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.yaml, err, c.want)
		}
	}
}
