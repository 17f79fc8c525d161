package unitfile

import (
	"slices"
	"strings"

	"github.com/sysroll/sysroll/internal/config"
)

// unit builds a unit file.
type unit struct {
	b strings.Builder
}

func (u *unit) comment(text string) { u.b.WriteString("# " + text + "\n") }

func (u *unit) section(name string) {
	u.b.WriteString("\n[" + name + "]\n")
}

func (u *unit) set(key, value string) { u.b.WriteString(key + "=" + value + "\n") }

// setDefault writes sysroll's default unless the service file sets the key.
func (u *unit) setDefault(extra config.Directives, key, value string) {
	if _, overridden := extra[key]; !overridden {
		u.set(key, value)
	}
}

// extras writes the service file's extra settings, sorted by key. A key that
// overrides one of sysroll's defaults (config.OverridableServiceKeys) comes out
// here instead, see setDefault.
func (u *unit) extras(d config.Directives) {
	keys := sortedKeys(d)
	if len(keys) > 0 {
		u.comment("From the service file:")
	}
	for _, k := range keys {
		for _, v := range d[k] {
			u.set(k, v)
		}
	}
}

func (u *unit) String() string { return strings.TrimPrefix(u.b.String(), "\n") }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
