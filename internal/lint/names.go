package lint

import (
	"fmt"
	"strings"
	"unicode"
)

// unitTypes are the unit file suffixes systemd loads (systemd.unit(5)).
var unitTypes = []string{
	".service", ".socket", ".target", ".timer", ".path", ".mount",
	".automount", ".swap", ".slice", ".scope", ".device",
}

// unitName splits "foo@bar.service" into prefix "foo", instance "bar",
// template true, and type ".service". ok is false when name has no known
// unit suffix.
type unitName struct {
	prefix   string // "foo" of foo@bar.service, "my-service-1" of my-service-1.service
	instance string // "bar"; "" for templates and plain units
	template bool   // name contains '@'
	typ      string // ".service"
}

func parseUnitName(name string) (unitName, bool) {
	for _, t := range unitTypes {
		base, ok := strings.CutSuffix(name, t)
		if !ok || base == "" {
			continue
		}
		n := unitName{typ: t, prefix: base}
		if p, inst, found := strings.Cut(base, "@"); found {
			n.prefix, n.instance, n.template = p, inst, true
		}
		return n, true
	}
	return unitName{}, false
}

// unitFileNameProblem says why systemd could not load a file of this name
// as a unit (unit_name_is_valid: ASCII letters, digits and ":-_.\\", one
// '@', at most 255 bytes), or "" when it could. systemd-analyze only says
// "Failed to prepare filename", and a name with a newline or an escape
// sequence would garble lint's own output.
func unitFileNameProblem(name string) string {
	if _, ok := parseUnitName(name); !ok {
		return ""
	}
	if len(name) > 255 {
		return fmt.Sprintf("not a valid unit name: it is %d bytes long, more than the 255 systemd allows", len(name))
	}
	if strings.Count(name, "@") > 1 {
		return "not a valid unit name: more than one '@'"
	}
	for i, r := range name {
		if !(r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(":-_.\\@", r))) {
			return fmt.Sprintf("not a valid unit name: %q at byte %d; systemd unit names use only ASCII letters, digits, ':', '-', '_', '.', '\\' and '@' (systemd-escape makes one of any text)", r, i)
		}
	}
	return ""
}

// templateName is the template a name instantiates ("foo@bar.service" ->
// "foo@.service"), or "" if it is not an instance.
func templateName(name string) string {
	n, ok := parseUnitName(name)
	if !ok || !n.template || n.instance == "" {
		return ""
	}
	return n.prefix + "@" + n.typ
}

// family returns the name of the service a unit is one instance of:
// "my-service" for my-service-1.service and my-service@8081.service. It
// returns "" when the name does not look like a numbered or templated
// instance, so unrelated units never share a family.
func family(name string) string {
	n, ok := parseUnitName(name)
	if !ok {
		return ""
	}
	if n.template {
		return n.prefix + n.typ
	}
	base := strings.TrimRight(n.prefix, "0123456789")
	if base == n.prefix {
		return ""
	}
	base = strings.TrimRight(base, "-_.")
	if base == "" {
		return ""
	}
	return base + n.typ
}

// groupTarget suggests the target that should group a family's instances:
// "my-service.target" for "my-service.service".
func groupTarget(fam string) string {
	n, ok := parseUnitName(fam)
	if !ok {
		return "NAME.target"
	}
	return n.prefix + ".target"
}

// execBinary is the program an ExecStart= value runs, without systemd's
// prefixes ("-", "@", ":", "+", "!", "!!") and without arguments.
func execBinary(value string) string {
	f := strings.Fields(value)
	if len(f) == 0 {
		return ""
	}
	return strings.TrimLeft(f[0], "-@:+!|")
}
