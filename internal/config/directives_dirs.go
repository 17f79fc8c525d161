package config

import (
	"strings"
)

// ownDirKeys are the directories systemd makes a unit's own (systemd.exec(5),
// "Paths"), with where they live. They are free in service: as long as they
// are the service's own names: systemd takes over a directory that already
// exists there (checked on systemd 252: a root-owned 0700 /var/lib/X became
// the dynamic user's, its files with it, "migrating to /var/lib/private/X"),
// and removes a RuntimeDirectory= when the instance stops, whatever it held.
// StateDirectory=sysroll would hand the instance sysroll's own state (and
// the hooks sysroll runs as root); RuntimeDirectory=dbus would take the
// host's D-Bus socket away.
var ownDirKeys = map[string]string{
	"StateDirectory":         "/var/lib",
	"CacheDirectory":         "/var/cache",
	"LogsDirectory":          "/var/log",
	"RuntimeDirectory":       "/run",
	"ConfigurationDirectory": "/etc",
}

// validateOwnDirs checks that every directory (and symlink, "DIR:LINK") of
// an ownDirKeys setting is the service's name or under it.
func (s *Service) validateOwnDirs(e *errs) {
	for _, k := range sortedDirectiveKeys(s.ServiceExtra) {
		root, ok := ownDirKeys[k]
		if !ok {
			continue
		}
		vs := s.ServiceExtra[k]
		for i, v := range vs {
			p := at("service", key(k))
			if len(vs) > 1 {
				p = append(p, i)
			}
			for _, item := range strings.Fields(v) {
				for _, d := range strings.Split(item, ":") {
					if !s.ownDirName(d) {
						e.add(p, "%s=%s is not the service's own: systemd takes %s/%s over for the instance's user if it exists (its files too)%s; name it %s or %s/... (%%p/... is the same)",
							k, item, root, d, removedOnStop(k), s.Name, s.Name)
						break
					}
				}
			}
		}
	}
}

// ownDirName reports whether d (relative, as systemd requires) starts with
// the service's name as its first element, with %p/%P standing for it and
// %n/%N for the instance's full unit name (NAME@INSTANCE...).
func (s *Service) ownDirName(d string) bool {
	first, _, _ := strings.Cut(d, "/")
	switch first {
	case s.Name, "%p", "%P":
		return true
	}
	return strings.HasPrefix(first, "%n") || strings.HasPrefix(first, "%N") || strings.HasPrefix(first, s.Name+"@")
}

func removedOnStop(k string) string {
	if k == "RuntimeDirectory" {
		return ", and removes it when the instance stops"
	}
	return ""
}

// refusedKeys are [Service] keys with no use under sysroll and an effect
// the service file cannot see (on the host, or on a setting sysroll writes),
// refused outright (hardening.allow_raw cannot name them either).
var refusedKeys = map[string]string{
	// Checked on systemd 252: PIDFile=/srv/x removed /srv/x when the
	// instance stopped, whatever the file was.
	"PIDFile": "is for Type=forking, which sysroll never runs, and systemd removes the file it names when an instance stops, as root, whatever it is",
	// A shorthand for TimeoutStartSec= and TimeoutStopSec= both: written
	// after them, TimeoutSec=0 made stop_timeout infinity.
	"TimeoutSec": "sets TimeoutStartSec= and TimeoutStopSec= at once, overriding stop_timeout; set stop_timeout, and service.TimeoutStartSec for the start",
}
