package unitfile

import (
	"slices"
	"strings"

	"github.com/sysroll/sysroll/internal/config"
)

// unit builds a unit file.
type unit struct {
	b strings.Builder
	// origins maps the line of each extra setting to its service file field,
	// so findings on the rendered unit can point at the service file.
	origins map[int]origin
}

// origin is the service file field a rendered line came from.
type origin struct {
	field string // "unit" or "service"
	key   string
}

// line is the number of the next line written, as String() will have it.
func (u *unit) line() int {
	s := u.b.String()
	n := strings.Count(s, "\n") + 1
	if strings.HasPrefix(s, "\n") {
		n-- // String trims it
	}
	return n
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
// here instead, see setDefault. Values are systemd syntax already (a '%' is
// a specifier there); expand fills in their placeholders.
func (u *unit) extras(field string, d config.Directives, expand func(string) string) {
	keys := sortedKeys(d)
	if len(keys) > 0 {
		u.comment("From the service file:")
	}
	if u.origins == nil {
		u.origins = map[int]origin{}
	}
	for _, k := range keys {
		for _, v := range d[k] {
			u.origins[u.line()] = origin{field: field, key: k}
			u.set(k, expand(v))
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
