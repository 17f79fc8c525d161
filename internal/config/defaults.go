package config

import "time"

// Defaults, exported so docs, the starter file and other packages agree.
const (
	DefaultType             = TypeNotify
	DefaultInterval         = time.Second
	DefaultTimeout          = time.Second
	DefaultHealthyFor       = 5 * time.Second
	DefaultDeadline         = 60 * time.Second
	DefaultFailureAction    = ActionRollback
	DefaultProgressDeadline = 10 * time.Minute
	DefaultDrainTimeout     = 30 * time.Second
	DefaultReleasesKeep     = 5
	DefaultStopTimeout      = 30 * time.Second
	DefaultRestartDelay     = 2 * time.Second
	DefaultHTTPStatus       = 200
	DefaultHAProxySocket    = "/run/haproxy/admin.sock"
	DefaultAgentInter       = 2 * time.Second // HAProxy's default agent-inter
	DefaultAgentUpWait      = 4 * time.Second // HAProxy's default rise 2 × inter 2s
	DefaultWorkingDirectory = "{release}"
)

// Default returns a Service with every default set and nothing else: no name,
// command or instances. Parse decodes a file on top of it.
func Default() *Service {
	return &Service{
		Type:             DefaultType,
		WorkingDirectory: DefaultWorkingDirectory,
		Health: Health{
			Interval:           DefaultInterval,
			Timeout:            DefaultTimeout,
			HealthyThreshold:   1,
			UnhealthyThreshold: 1,
			HealthyFor:         DefaultHealthyFor,
			Deadline:           DefaultDeadline,
		},
		Rollout: Rollout{
			Batch:            Step{N: 1},
			FailureAction:    DefaultFailureAction,
			ProgressDeadline: DefaultProgressDeadline,
			DrainTimeout:     DefaultDrainTimeout,
		},
		ReleasesKeep: DefaultReleasesKeep,
		StopTimeout:  DefaultStopTimeout,
		RestartDelay: DefaultRestartDelay,
		Hardening:    DefaultHardening(),
	}
}

// DefaultHardening is the sandbox every instance gets unless relaxed.
func DefaultHardening() Hardening {
	return Hardening{
		ProtectSystem:          "strict",
		ProtectHome:            "yes",
		PrivateTmp:             true,
		PrivateDevices:         true,
		PrivateUsers:           true,
		PrivateNetwork:         false,
		PrivateMounts:          true,
		ProtectKernel:          true,
		ProtectControlGroups:   true,
		ProtectClock:           true,
		ProtectHostname:        true,
		ProtectProc:            "invisible",
		ProcSubset:             "pid",
		NoNewPrivileges:        true,
		AddressFamilies:        []string{"AF_INET", "AF_INET6", "AF_UNIX"},
		SystemCallFilter:       true,
		MemoryDenyWriteExecute: true,
		LockPersonality:        true,
		RestrictNamespaces:     true,
		RestrictRealtime:       true,
		RestrictSUIDSGID:       true,
		UMask:                  "0077",
	}
}

// applyDefaults fills the defaults that depend on other fields or on a
// sub-section being present.
func (s *Service) applyDefaults() {
	if s.Description == "" && nameRe.MatchString(s.Name) {
		s.Description = s.Name
	}
	if s.Health.HTTP != nil && s.Health.HTTP.Status == 0 {
		s.Health.HTTP.Status = DefaultHTTPStatus
	}
	if a := s.Rollout.HAProxyAgent; a != nil {
		if a.Inter == 0 {
			a.Inter = DefaultAgentInter
		}
		if a.UpWait == 0 {
			a.UpWait = DefaultAgentUpWait
		}
	}
	if h := s.Rollout.HAProxy; h != nil {
		if h.Socket == "" {
			h.Socket = DefaultHAProxySocket
		}
		if h.Backend == "" {
			h.Backend = s.Name
		}
		if h.Server == "" {
			h.Server = "{instance}"
		}
	}
}
