package lint

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Rule identifies a check. The ids are stable: users grep for them and CI
// configs may filter on them.
type Rule string

// The rules, in the order findings on the same line are reported (the most
// specific diagnosis first, so systemd-analyze's own line attaches to it).
const (
	RuleSyntax             Rule = "syntax"               // a line systemd cannot read
	RuleInlineComment      Rule = "inline-comment"       // "Key=value  # comment"
	RuleWrongSection       Rule = "wrong-section"        // e.g. PartOf= in [Service]
	RulePartOfDirection    Rule = "partof-direction"     // group unit with PartOf= its members
	RuleNoExecStart        Rule = "no-exec-start"        // .service systemd refuses to load
	RuleServiceRefused     Rule = "service-refused"      // other service_verify() refusals
	RuleRestartSecFallback Rule = "restart-sec-fallback" // RestartSec= left at 100ms
	RuleStartLimit         Rule = "restart-start-limit"  // crash loop exhausts the start limit
	RuleInstanceDependency Rule = "instance-dependency"  // Requires=/BindsTo=/PartOf= between instances
	RuleNetworkTarget      Rule = "network-target"       // Requires=/Wants=network.target
	RuleActiveNotReady     Rule = "active-not-ready"     // After= a Type=simple unit
	RuleSystemdAnalyze     Rule = "systemd-analyze"      // a line of systemd-analyze verify
	RuleAnalyzeUnavailable Rule = "systemd-analyze-unavailable"
)

var ruleOrder = []Rule{
	RuleSyntax, RuleInlineComment, RuleWrongSection, RulePartOfDirection,
	RuleNoExecStart, RuleServiceRefused, RuleRestartSecFallback, RuleStartLimit,
	RuleInstanceDependency, RuleNetworkTarget, RuleActiveNotReady,
	RuleSystemdAnalyze, RuleAnalyzeUnavailable,
}

// Severity ranks findings. The zero value means "no finding" (see Worst).
type Severity int

// Severities, from least to most serious.
const (
	// Info: true, but it may be intended or depend on the machine lint runs on.
	Info Severity = iota + 1
	// Warning: systemd will not do what the file seems to say.
	Warning
	// Error: systemd refuses the unit, or the setup defeats the deployment.
	Error
)

var severityNames = map[Severity]string{Info: "info", Warning: "warning", Error: "error"}

func (s Severity) String() string {
	if n, ok := severityNames[s]; ok {
		return n
	}
	return "none"
}

// MarshalText makes Severity a string in JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses "info", "warning" or "error".
func (s *Severity) UnmarshalText(b []byte) error {
	for k, v := range severityNames {
		if v == string(b) {
			*s = k
			return nil
		}
	}
	return fmt.Errorf("unknown severity %q", b)
}

// Finding is one problem, located at Path:Line (Line 0: the whole file).
type Finding struct {
	Path     string   `json:"path"`
	Line     int      `json:"line,omitempty"`
	Rule     Rule     `json:"rule"`
	Severity Severity `json:"severity"`
	// Message says what systemd will actually do with the file.
	Message string `json:"message"`
	// Fix is the concrete change to make.
	Fix string `json:"fix,omitempty"`
	// Analyze holds the lines of `systemd-analyze verify` that report the
	// same problem, as independent evidence.
	Analyze []string `json:"systemd_analyze,omitempty"`
}

// Worst returns the highest severity among findings, 0 if there are none.
func Worst(findings []Finding) Severity {
	var w Severity
	for _, f := range findings {
		w = max(w, f.Severity)
	}
	return w
}

// sortFindings orders by file (in the order given), line, then rule.
func sortFindings(fs []Finding, pathOrder map[string]int) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if c := cmp.Compare(pathRank(pathOrder, a.Path), pathRank(pathOrder, b.Path)); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Line, b.Line); c != 0 {
			return c
		}
		return cmp.Compare(slices.Index(ruleOrder, a.Rule), slices.Index(ruleOrder, b.Rule))
	})
}

func pathRank(order map[string]int, p string) int {
	if r, ok := order[p]; ok {
		return r
	}
	return len(order)
}

// wrapWidth is where Format wraps messages; findings are read in terminals.
const wrapWidth = 100

// Format writes findings for humans:
//
//	path:line: rule (severity): message
//	    fix: ...
//	    systemd-analyze: ...
//
// followed by a one-line summary. It writes nothing for no findings.
func Format(w io.Writer, findings []Finding) error {
	var b strings.Builder
	counts := map[Severity]int{}
	for _, f := range findings {
		counts[f.Severity]++
		f = f.printable()
		loc := f.Path
		if loc == "" {
			loc = "sysroll lint"
		}
		if f.Line > 0 {
			loc = fmt.Sprintf("%s:%d", loc, f.Line)
		}
		writeWrapped(&b, fmt.Sprintf("%s: %s (%s): ", loc, f.Rule, f.Severity), f.Message, "    ")
		if f.Fix != "" {
			writeWrapped(&b, "    fix: ", f.Fix, "         ")
		}
		for _, a := range f.Analyze {
			b.WriteString("    systemd-analyze: " + a + "\n")
		}
	}
	if len(findings) > 0 {
		var parts []string
		for _, s := range []Severity{Error, Warning, Info} {
			if n := counts[s]; n > 0 {
				parts = append(parts, plural(n, s.String()))
			}
		}
		fmt.Fprintf(&b, "%s: %s\n", plural(len(findings), "finding"), strings.Join(parts, ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	if word == "info" {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// writeWrapped writes head+text, wrapping text at wrapWidth with indent.
func writeWrapped(b *strings.Builder, head, text, indent string) {
	col := len(head)
	b.WriteString(head)
	// Split on single spaces so quoted values keep their exact spacing.
	for i, word := range strings.Split(strings.TrimSpace(text), " ") {
		if i > 0 {
			if col+1+len(word) > wrapWidth {
				b.WriteString("\n" + indent)
				col = len(indent)
			} else {
				b.WriteByte(' ')
				col++
			}
		}
		b.WriteString(word)
		col += len(word)
	}
	b.WriteByte('\n')
}
