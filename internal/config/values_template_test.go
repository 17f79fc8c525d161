package config

import "testing"

// Placeholders in values that reach the unit as written: environment values,
// environment_files, unit:/service: settings (issue 10, item 4).
func TestValuePlaceholders(t *testing.T) {
	tests := []struct {
		name string
		edit func(s *Service)
		want []string // empty: valid
	}{
		{"port in environment", func(s *Service) { s.Environment = map[string]string{"PORT": "{port}"} }, nil},
		{"release in environment", func(s *Service) { s.Environment = map[string]string{"ROOT": "{release}/public"} }, nil},
		{"other words stay as written", func(s *Service) { s.Environment = map[string]string{"FMT": `{time} {level} {"a":1}`} }, nil},
		{"typo in environment", func(s *Service) { s.Environment = map[string]string{"N": "web-{instnce}"} },
			[]string{"environment.N", "unknown placeholder {instnce} (did you mean instance?)"}},
		{"port in environment, names not ports", func(s *Service) {
			s.Instances = Instances{Count: 2}
			s.Environment = map[string]string{"PORT": "{port}"}
		}, []string{"environment.PORT", "uses {port} but the instances are not ports", "or use {instance}"}},
		{"env file per instance", func(s *Service) { s.EnvironmentFiles = []string{"-/etc/hello/{instance}.env"} }, nil},
		{"env file in the release", func(s *Service) { s.EnvironmentFiles = []string{"{release}/.env"} }, nil},
		{"env file typo", func(s *Service) { s.EnvironmentFiles = []string{"/etc/hello/{instanse}.env"} },
			[]string{"environment_files[0]", "unknown placeholder {instanse}"}},
		{"env file relative once filled in", func(s *Service) { s.EnvironmentFiles = []string{"{instance}.env"} },
			[]string{"environment_files[0]", "must be an absolute path"}},
		{"unit value per instance", func(s *Service) { s.UnitExtra = one("Wants", "worker@{instance}.service") }, nil},
		{"service value per instance", func(s *Service) { s.ServiceExtra = one("LogExtraFields", "PORT={port}") }, nil},
		{"exec setting in the release", func(s *Service) { s.ServiceExtra = one("ExecStartPre", "{release}/migrate") }, nil},
		{"no specifiers there", func(s *Service) { s.ServiceExtra = one("TasksMax", "{port}") },
			[]string{"service.TasksMax", "has a placeholder, but systemd reads TasksMax= without specifiers"}},
		{"directive typo", func(s *Service) { s.UnitExtra = one("Wants", "worker@{prot}.service") },
			[]string{"unit.Wants", "unknown placeholder {prot} (did you mean port?)"}},
		{"privileged prefix still refused", func(s *Service) { s.ServiceExtra = one("ExecStartPre", "+{release}/migrate") },
			[]string{"service.ExecStartPre", "in front of a command"}},
	}
	for _, tt := range tests {
		s := withExtras(nil, nil)
		tt.edit(s)
		checkErr(t, tt.name, s, tt.want...)
	}
}

// A network probe of {port} with a shared socket reaches nothing (item 6);
// {instance} as an admin port, an exec probe and the socket's own address work.
func TestProbeOnSharedSocket(t *testing.T) {
	tests := []struct {
		name string
		edit func(s *Service)
		want []string
	}{
		{"http port", func(s *Service) { s.Health.HTTP = &HTTPProbe{URL: "http://127.0.0.1:{port}/healthz", Status: 200} },
			[]string{"health.http.url", "uses {port} with listen: every instance serves that one shared socket", "probe the listen: address itself (with type: notify", "admin port each instance opens from its name: 127.0.0.1:{instance}"}},
		{"tcp port", func(s *Service) { s.Health.TCP = &TCPProbe{Address: "127.0.0.1:{port}"} },
			[]string{"health.tcp.address", "uses {port} with listen:"}},
		{"count instances get the same message", func(s *Service) {
			s.Instances = Instances{Count: 2}
			s.Health.TCP = &TCPProbe{Address: "127.0.0.1:{port}"}
		}, []string{"health.tcp.address", "uses {port} with listen:"}},
		{"shared socket address", func(s *Service) { s.Health.HTTP = &HTTPProbe{URL: "http://127.0.0.1:8080/healthz", Status: 200} }, nil},
		{"admin port by instance", func(s *Service) { s.Health.TCP = &TCPProbe{Address: "127.0.0.1:{instance}"} }, nil},
		{"exec probe", func(s *Service) { s.Health.Exec = &ExecProbe{Command: "/bin/check {port}"} }, nil},
	}
	for _, tt := range tests {
		s := withExtras(nil, nil)
		s.Listen = "127.0.0.1:8080"
		tt.edit(s)
		checkErr(t, tt.name, s, tt.want...)
	}
}
