package yamlpos

import (
	"strings"
	"testing"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

func TestErrorRendering(t *testing.T) {
	for _, tt := range []struct {
		e    Error
		want string
	}{
		{Error{File: "a.yaml", Line: 3, Column: 5, Field: "fleet.hosts.batch", Msg: "bad"}, "a.yaml:3:5: fleet.hosts.batch: bad"},
		{Error{File: "a.yaml", Line: 3, Column: 5, Msg: "bad"}, "a.yaml:3:5: bad"},
		{Error{File: "hosts.ini", Line: 7, Msg: "bad"}, "hosts.ini:7: bad"}, // a whole line
		{Error{File: "a.yaml", Field: "name", Msg: "bad"}, "a.yaml: name: bad"},
		{Error{Field: "name", Msg: "bad"}, "name: bad"},
		{Error{Msg: "m"}, "m"},
		{Error{Line: 3, Column: 1, Msg: "m"}, "m"}, // no file: no position either
	} {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%#v renders %q, want %q", tt.e, got, tt.want)
		}
	}
}

func TestTokenError(t *testing.T) {
	tk := &token.Token{Position: &token.Position{Line: 4, Column: 9}}
	if got := TokenError("f.yaml", tk, "too deep").Error(); got != "f.yaml:4:9: too deep" {
		t.Errorf("TokenError = %q", got)
	}
	if got := TokenError("f.yaml", nil, "m").Error(); got != "f.yaml: m" {
		t.Errorf("TokenError without a token = %q", got)
	}
}

func TestClip(t *testing.T) {
	if got := Clip("short"); got != "short" {
		t.Errorf("Clip(short) = %q", got)
	}
	long := strings.Repeat("é", MaxMsgLen) // 2 bytes each: the cut falls inside a rune
	got := Clip(long)
	if !strings.HasSuffix(got, "…") || len(got) > MaxMsgLen+len("…") || !strings.HasPrefix(long, strings.TrimSuffix(got, "…")) {
		t.Errorf("Clip(long) = %d bytes %q...", len(got), got[:20])
	}
}

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"batch", "batch", 0},
		{"bacth", "batch", 2},
		{"max_paralel", "max_parallel", 1},
		{"", "ramp", 4},
		{"zoné", "zone", 1}, // by rune, not byte
		{strings.Repeat("a", 65), "a", 65},
	} {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestNodeHelpers(t *testing.T) {
	f, err := parser.ParseBytes([]byte("s: &a text\nn: 12\nb: !!bool true\nl: |\n  lit\nz: ~\nq: [1]\nm: {k: v}\nf: 1.5\n"), 0)
	if err != nil {
		t.Fatal(err)
	}
	m := f.Docs[0].Body.(*ast.MappingNode)
	val := map[string]ast.Node{}
	for _, kv := range m.Values {
		val[kv.Key.GetToken().Value] = kv.Value
	}
	for _, tt := range []struct {
		key, text string
		ok        bool
		kind      string
	}{
		{"s", "text", true, "a string"}, // through the anchor
		{"n", "12", true, "an integer"},
		{"b", "true", true, "a boolean"}, // through the tag
		{"l", "lit\n", true, "a string"},
		{"z", "", false, "nothing (null)"},
		{"q", "", false, "a list"},
		{"m", "", false, "a mapping"},
		{"f", "1.5", true, "a number"},
	} {
		text, ok := Text(val[tt.key])
		if text != tt.text || ok != tt.ok {
			t.Errorf("Text(%s) = %q, %v; want %q, %v", tt.key, text, ok, tt.text, tt.ok)
		}
		if got := Describe(val[tt.key]); got != tt.kind {
			t.Errorf("Describe(%s) = %q, want %q", tt.key, got, tt.kind)
		}
	}
	if !IsNull(val["z"]) || !IsNull(nil) || IsNull(val["s"]) {
		t.Error("IsNull wrong")
	}
	if line, col := Pos(val["n"]); line != 2 || col != 4 {
		t.Errorf("Pos(n) = %d:%d, want 2:4", line, col)
	}
	if line, col := Pos(nil); line != 0 || col != 0 {
		t.Errorf("Pos(nil) = %d:%d", line, col)
	}
}
