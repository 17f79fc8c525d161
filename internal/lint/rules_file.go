package lint

import (
	"fmt"
	"slices"
	"strings"
)

// checkSyntax reports lines systemd cannot read at all.
func (s *unitSet) checkSyntax(u *Unit) {
	for _, e := range u.Errors {
		if e.Fatal {
			s.add(u, e.Line, RuleSyntax, Error,
				fmt.Sprintf("%s: systemd stops reading the file here and refuses the unit (\"failed to load properly: Bad message\").", e.Msg),
				"Close the section header with ']' (e.g. [Service]).")
			continue
		}
		s.add(u, e.Line, RuleSyntax, Warning,
			fmt.Sprintf("systemd logs %q and ignores this line.", e.Msg),
			"Write it as Key=Value inside a [Section], or make it a comment by starting the line with '#'.")
	}
}

// commentStart returns the index of a '#' that starts an apparent inline
// comment (at the start of the value or after whitespace, outside quotes),
// or -1. "#fff" or "a#b" are left alone: they are rarely meant as comments.
func commentStart(v string) int {
	var quote byte
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#' && (i == 0 || v[i-1] == ' ' || v[i-1] == '\t'):
			return i
		}
	}
	return -1
}

// checkInlineComments reports "Key=value  # comment": systemd.syntax(7) only
// has whole-line comments, so the comment is handed to the key's parser.
func (s *unitSet) checkInlineComments(u *Unit) {
	for i, a := range u.Assignments {
		at := commentStart(a.Value)
		if at < 0 {
			continue
		}
		comment := strings.TrimSpace(a.Value[at:])
		bare := strings.TrimSpace(a.Value[:at])
		ki, _ := keyInfoFor(a.Section, a.Key)
		if ki.kind == kindText && len(comment) > 1 && comment[1] != ' ' && comment[1] != '\t' {
			continue // "Description=Worker #1" is text, not a comment
		}
		fix := fmt.Sprintf("Put the comment on its own line above the setting: \"%s\" then \"%s=%s\".", comment, a.Key, bare)
		quoted := fmt.Sprintf("%s=%s", a.Key, a.Value)
		sev := Warning
		var msg string
		switch ki.kind {
		case kindTime, kindEnum, kindBool, kindInt:
			what := map[valueKind]string{kindTime: "a time span", kindEnum: "a valid " + a.Key + "= value",
				kindBool: "a boolean", kindInt: "a number"}[ki.kind]
			msg = fmt.Sprintf("'#' only starts a comment at the beginning of a line. systemd cannot parse %q as %s, logs \"Failed to parse ..., ignoring\" and drops the whole line, so %s= stays %s.",
				a.Value, what, a.Key, keptValue(u, i, ki))
		case kindExec:
			msg = fmt.Sprintf("'#' only starts a comment at the beginning of a line: systemd passes %q to the program as extra arguments.", comment)
		case kindUnits:
			msg = fmt.Sprintf("'#' only starts a comment at the beginning of a line: systemd reads every word of %q as another unit name; invalid ones are ignored with a warning, valid ones become dependencies.", comment)
		case kindEnv:
			msg = fmt.Sprintf("'#' only starts a comment at the beginning of a line: %q becomes part of the environment value.", comment)
		case kindText:
			sev = Info
			msg = fmt.Sprintf("'#' only starts a comment at the beginning of a line: %q becomes part of %s=.", comment, a.Key)
		default:
			msg = fmt.Sprintf("'#' only starts a comment at the beginning of a line: systemd hands %q to the %s= parser whole; a number, time, boolean or name fails to parse and the line is ignored, anything else keeps the comment in the value.", quoted, a.Key)
		}
		s.add(u, a.Line, RuleInlineComment, sev, msg, fix)
	}
}

// keptValue says what a single-valued setting is when the assignment at
// index i is ignored: the last earlier valid assignment, or the default.
func keptValue(u *Unit, i int, ki keyInfo) string {
	a := u.Assignments[i]
	for j := i - 1; j >= 0; j-- {
		b := u.Assignments[j]
		if b.Section != a.Section || b.Key != a.Key || commentStart(b.Value) >= 0 {
			continue
		}
		if ki.kind == kindTime {
			if _, err := ParseTimespan(b.Value); err != nil {
				continue
			}
		}
		return fmt.Sprintf("%s (from line %d)", b.Value, b.Line)
	}
	if ki.def == "" {
		return "unset"
	}
	return "at its default " + ki.def
}

// checkSections reports settings in a section that does not know them:
// systemd logs "Unknown key" and drops the line.
func (s *unitSet) checkSections(u *Unit) {
	n, _ := parseUnitName(u.Name)
	typeSection := typeSections[n.typ]
	for _, a := range u.Assignments {
		var want string
		switch {
		case a.Section == "Unit", a.Section == "Install", a.Section == typeSection && typeSection != "":
		default:
			continue // unknown sections are systemd-analyze's business
		}
		switch {
		case a.Section != "Unit" && (slices.Contains(unitOnlyKeys, a.Key) || isConditionKey(a.Key)):
			want = "Unit"
		case a.Section != "Install" && slices.Contains(installKeys, a.Key):
			want = "Install"
		case n.typ == ".service" && a.Section != "Service" && slices.Contains(serviceKeys, a.Key):
			want = "Service"
		default:
			continue
		}
		msg := fmt.Sprintf("%s= is a [%s] setting. In [%s] systemd logs \"Unknown key '%s' in section [%s], ignoring.\" and drops the line: this unit has no %s= at all.",
			a.Key, want, a.Section, a.Key, a.Section, a.Key)
		fix := fmt.Sprintf("Move %s=%s to the [%s] section.", a.Key, a.Value, want)
		if a.Key == "PartOf" && s.looksLikeGroup(u, family(u.Name), strings.Fields(a.Value)) {
			fix = "PartOf= belongs in [Unit], but of each member unit, naming the group (see partof-direction)."
		}
		s.add(u, a.Line, RuleWrongSection, Warning, msg, fix)
	}
}
