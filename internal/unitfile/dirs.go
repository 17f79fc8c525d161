package unitfile

import (
	"fmt"
	"path"
	"strings"
)

// privateDirKeys are the directories every instance gets of its own, NAME/%i
// under /var/lib, /var/cache and /run (or the user manager's equivalents):
// under DynamicUser and ProtectSystem=strict they are the only places an app
// can write that survive a restart (state, cache) or that other processes
// can reach (runtime: sockets, pid files). Per instance, so a restart of one
// instance, which removes its RuntimeDirectory= (RuntimeDirectoryPreserve=no,
// systemd's default, kept: runtime files are for one run), never touches
// another's. A service file that sets one of these keys in service: keeps
// its own instead (config.validateOwnDirs has checked it is the service's).
var privateDirKeys = []string{"StateDirectory", "CacheDirectory", "RuntimeDirectory"}

// privateDirs writes the instance's own directories.
func (r renderer) privateDirs(u *unit) {
	for _, k := range privateDirKeys {
		u.setDefault(r.svc.ServiceExtra, k, r.svc.Name+"/%i")
	}
}

// home renders HOME= as the instance's state directory, so apps that keep
// data under $HOME (config autosave, certificate storage, caches) work: a
// dynamic user has no home ("HOME not defined"), and a static user's is
// read-only under ProtectHome=. With StateDirectory= from the service file,
// HOME is its first directory. "" when the service file's environment: sets
// HOME itself (theirs wins; an Environment=HOME= in service: comes later in
// the unit and wins too, as systemd takes the last assignment).
func (r renderer) home() string {
	if _, ok := r.svc.Environment["HOME"]; ok {
		return ""
	}
	dir := r.svc.Name + "/%i"
	if vs := r.svc.ServiceExtra["StateDirectory"]; len(vs) > 0 {
		if fs := strings.Fields(vs[0]); len(fs) > 0 {
			dir, _, _ = strings.Cut(fs[0], ":")
		}
	}
	// %S is /var/lib for the system manager and the user manager's state
	// directory for --user ($XDG_CONFIG_HOME on systemd 252, $XDG_STATE_HOME
	// from 254 on): the same root StateDirectory= uses, whichever it is.
	root := "%S"
	if !r.p.User {
		root = "/var/lib"
	}
	return "HOME=" + root + "/" + dir
}

// checkStateOverlap refuses a service whose instances' state directories
// (/var/lib/NAME/INSTANCE) would lie in sysroll's own store, or the store in
// them: systemd hands StateDirectory= over to the instance's user, and with
// DynamicUser moves an existing directory there to /var/lib/private.
func checkStateOverlap(name string, p Paths) error {
	if p.User {
		return nil // the user manager's state root is not known here; the name check covers "sysroll"
	}
	own := path.Join("/var/lib", name)
	if p.StateDir == own || strings.HasPrefix(p.StateDir, own+"/") || strings.HasPrefix(own, p.StateDir+"/") {
		return fmt.Errorf("the state directory %s and the instances' own directories (StateDirectory=%s/INSTANCE, in %s) overlap: systemd would hand sysroll's store to the instances' user; choose another --state-dir or another name", p.StateDir, name, own)
	}
	return nil
}
