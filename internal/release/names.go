package release

import (
	"fmt"
	"strings"
)

// maxNameLen bounds versions, instance names and rollout IDs.
const maxNameLen = 64

// corruptMark is in the name of every file moved aside as corrupt:
// FILE.corrupt-20261201T111500Z (see quarantine.go).
const corruptMark = ".corrupt-"

// validName is the one rule for every name that becomes a file name in the
// store: a release version (releases/VERSION and releases/VERSION.json), an
// instance (instances/INSTANCE) and a rollout ID (rollouts/ID.json). A name
// that passes can never climb out of its directory nor map onto a file
// sysroll keeps beside it: those are all dotfiles (.lock, .tmp-* staging
// directories, .NAME.tmp-* atomic writes), metadata (NAME.json) or
// quarantined files (NAME.corrupt-*), and the rule excludes each shape.
// Names written by an older sysroll that break a rule added since are left
// alone on disk (never deleted) and ignored.
func validName(what, name string) error {
	bad := func(rule string) error {
		return fmt.Errorf("invalid %s %q: %s", what, name, rule)
	}
	switch {
	case name == "":
		return bad("must not be empty")
	case len(name) > maxNameLen:
		return bad(fmt.Sprintf("%d characters, more than the %d allowed", len(name), maxNameLen))
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !nameChar(c) {
			return bad(fmt.Sprintf("byte %d is %s: want only A-Z a-z 0-9 . _ + -", i, describeByte(c)))
		}
	}
	switch {
	case !alnum(name[0]):
		return bad("must start with a letter or digit (names starting with . are sysroll's own files, with - they read as options)")
	case strings.HasSuffix(name, metaSuffix):
		return bad(fmt.Sprintf("must not end in %q: sysroll keeps a release's metadata as NAME%s, so this name would be the metadata file of %q",
			metaSuffix, metaSuffix, strings.TrimSuffix(name, metaSuffix)))
	case strings.Contains(name, tmpPrefix):
		return bad(fmt.Sprintf("must not contain %q: sysroll's temporary files are named so", tmpPrefix))
	case strings.Contains(name, corruptMark):
		return bad(fmt.Sprintf("must not contain %q: sysroll names quarantined files so", corruptMark))
	}
	return nil
}

func alnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func nameChar(c byte) bool {
	return alnum(c) || c == '.' || c == '_' || c == '+' || c == '-'
}

// describeByte shows a refused byte so a message can be read: '/' or 0xc3.
func describeByte(c byte) string {
	if c > ' ' && c < 0x7f {
		return fmt.Sprintf("%q", c)
	}
	return fmt.Sprintf("0x%02x", c)
}
