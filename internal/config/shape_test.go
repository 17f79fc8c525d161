package config

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// decodeBudget is the most memory (bytes allocated in all) that parsing any
// input of at most MaxFileSize may take. The fuzz target checks it too.
const decodeBudget = 64 << 20

// allocated runs f and returns the bytes it allocated.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func indented(n int, line string) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(strings.Repeat(" ", i) + line + "\n")
	}
	return b.String()
}

// ports lists n ports from 20000, each formatted with format.
func ports(n int, format string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, format, 20000+i)
	}
	return b.String()
}

// env is a valid service file with n environment variables.
func env(n int) string {
	var b strings.Builder
	b.WriteString("name: x\ncommand: /bin/x\ninstances: [1]\nenvironment:\n")
	for i := range n {
		fmt.Fprintf(&b, "  K%d: %s\n", i, strings.Repeat("v", 90))
	}
	return b.String()
}

// Inputs that made go-yaml's parser exhaust memory (or take minutes) are
// refused before parsing, saying which limit and where, and decoding them
// stays within decodeBudget.
func TestShapeBombsStayInBudget(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"flow-seq-open", strings.Repeat("[", 50000), "svc.yaml:1:65: YAML nesting deeper than 64 levels"},
		{"flow-seq-closed", "a: " + strings.Repeat("[", 6000) + strings.Repeat("]", 6000), "svc.yaml:1:67: YAML nesting deeper than 64 levels"},
		{"flow-map", strings.Repeat("{a: ", 12000), "svc.yaml:1:257: YAML nesting deeper than 64 levels"},
		{"block-map-indent", indented(200, "a:"), "svc.yaml:65:65: YAML nesting deeper than 64 levels"},
		{"block-seq-indent", indented(200, "-"), "svc.yaml:65:65: YAML nesting deeper than 64 levels"},
		{"compact-seq", strings.Repeat("- ", 10000), "svc.yaml:1:129: YAML nesting deeper than 64 levels"},
		{"block-then-flow", indented(40, "a:") + strings.Repeat(" ", 40) + strings.Repeat("[", 40), "svc.yaml:41:65: YAML nesting deeper than 64 levels"},
		{"flat-list", "[" + strings.Repeat(strings.Repeat("1,", 30000)+"\n", 16) + "]", "svc.yaml:1:50001: too many YAML tokens (keys, values, punctuation): more than 50000 by here"},
		{"flow-map-items", "{" + strings.Repeat(strings.Repeat("a,", 30000)+"\n", 16) + "}", "svc.yaml:1:50001: too many YAML tokens"},
		{"entries-block", env(3300), "svc.yaml:1005:3: more than 1000 entries in one mapping or list"},
		{"entries-flow", "a: [" + strings.Repeat("1, ", 1500) + "]", "svc.yaml:1:3006: more than 1000 entries in one mapping or list"},
		{"entries-list", "a:\n" + strings.Repeat("- 1\n", 1500), "svc.yaml:1002:1: more than 1000 entries in one mapping or list"},
		{"tokens", strings.Repeat("a: ["+strings.Repeat("1, ", 900)+"]\n", 7), "svc.yaml:6:1470: more than 10000 YAML tokens"},
		{"many-keys", strings.Repeat("a: 1\n", 200000), "svc.yaml:10001:1: more than 10000 lines"},
		{"comments", strings.Repeat("# a comment\n", 80000), "svc.yaml:10001:1: more than 10000 lines"},
		{"blank-lines", "name: x" + strings.Repeat("\n", MaxFileSize-10), "more than 10000 lines"},
		{"documents", strings.Repeat("---\n", 250000), "more than 10000 lines"},
		{"long-line", "name: " + strings.Repeat("x", MaxFileSize-10), "svc.yaml:1:65537: line 1 is 1048572 bytes long, more than the 65536 allowed"},
		{"long-key", strings.Repeat("k", MaxFileSize-10) + ": 1", "line 1 is 1048569 bytes long, more than the 65536 allowed"},
		{"anchors", "a: " + strings.Repeat(strings.Repeat("&a ", 3000)+"\n", 20) + "x", "too many YAML tokens"},
		{"aliases", "a: &a x\nb: [" + strings.Repeat(strings.Repeat("*a, ", 500)+"\n", 3) + "]", "svc.yaml:4:3: more than 1000 entries"},
		{"aliases-many-lists", "a: &a x\nb: [" + strings.Repeat("["+strings.Repeat("*a, ", 500)+"],\n", 40) + "]", "too many YAML tokens"},
		{"complex-keys", strings.Repeat("? ", 20000), "YAML nesting deeper than 64 levels"},
		{"tags", "a: " + strings.Repeat(strings.Repeat("!!str ", 3000)+"\n", 20) + "x", "too many YAML tokens"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.src) > MaxFileSize {
				t.Fatalf("input is %d bytes, over MaxFileSize", len(tc.src))
			}
			var err error
			n := allocated(func() { _, err = Parse("svc.yaml", []byte(tc.src)) })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
			if n > decodeBudget {
				t.Errorf("allocated %d MiB, more than the %d MiB budget", n>>20, decodeBudget>>20)
			}
		})
	}
}

// Inputs just inside every limit are parsed (and then refused for what they
// mean, not their shape), still within decodeBudget: the limits, not luck,
// keep the memory bounded.
func TestShapeAtTheLimitsStaysInBudget(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"depth-64-flow", "a: " + strings.Repeat("[", 63) + strings.Repeat("]", 63), `unknown key "a"`},
		{"depth-64-block", indented(64, "a:"), `unknown key "a"`},
		{"tokens-just-under", strings.Repeat("a: ["+strings.Repeat("1, ", 990)+"]\n", 5), `mapping key "a" already defined`},
		{"environment-1000", env(1000), ""},
		{"instances-1000-block", "name: x\ncommand: /bin/x\ninstances:\n" + ports(1000, "- %d\n") + "health: {}\n", ""},
		{"instances-1000-flow", "name: x\ncommand: /bin/x\ninstances: [" + ports(1000, "%d, ") + "]\n", ""},
		{"three-maps-of-999", func() string {
			var b strings.Builder
			for _, parent := range []string{"x", "y", "z"} {
				b.WriteString(parent + ":\n")
				for i := range 999 {
					fmt.Fprintf(&b, "  k%d: %s\n", i, strings.Repeat("v", 200))
				}
			}
			return b.String()
		}(), `unknown key "x"`},
		{"long-lines", strings.Repeat("# "+strings.Repeat("x", MaxLineLength-3)+"\n", 15) + "name: x\n", "command: is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.src) > MaxFileSize {
				t.Fatalf("input is %d bytes, over MaxFileSize", len(tc.src))
			}
			var err error
			n := allocated(func() { _, err = Parse("svc.yaml", []byte(tc.src)) })
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("err = %v, want none", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
			if n > decodeBudget {
				t.Errorf("allocated %d MiB, more than the %d MiB budget", n>>20, decodeBudget>>20)
			}
			t.Logf("%d bytes: allocated %.1f MiB", len(tc.src), float64(n)/(1<<20))
		})
	}
}
