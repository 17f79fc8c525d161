package lint

import (
	"reflect"
	"testing"
)

func TestParseUnit(t *testing.T) {
	type kv struct {
		Section, Key, Value string
		Line, EndLine       int
	}
	tests := []struct {
		name     string
		in       string
		want     []kv
		errs     []SyntaxError
		sections []string
	}{
		{
			name: "inline # is part of the value",
			in:   "[Service]\nRestartSec=2  # Delay before restart if failed\n",
			want: []kv{{"Service", "RestartSec", "2  # Delay before restart if failed", 2, 2}},
		},
		{
			name: "whole-line comments with # and ; after whitespace",
			in:   "# top\n[Unit]\n  ; indented\n\t# tab\nDescription=x\n",
			want: []kv{{"Unit", "Description", "x", 5, 5}},
		},
		{
			name: "key and value are trimmed, only the first = splits",
			in:   "[Service]\n  Environment = A=1 B=2  \n",
			want: []kv{{"Service", "Environment", "A=1 B=2", 2, 2}},
		},
		{
			// systemd.syntax(7): the backslash becomes a space; comment
			// lines inside a continuation are skipped.
			name: "continuation joins lines and skips comments",
			in:   "[Service]\nExecStart=/bin/app \\\n# a comment\n  --flag \\\n  --other\nType=exec\n",
			want: []kv{
				{"Service", "ExecStart", "/bin/app    --flag    --other", 2, 5},
				{"Service", "Type", "exec", 6, 6},
			},
		},
		{
			name: "backslash before trailing space or escaped backslash does not continue",
			in:   "[Service]\nA=1 \\  \nB=2\\\\\nC=3\n",
			want: []kv{{"Service", "A", "1 \\", 2, 2}, {"Service", "B", "2\\\\", 3, 3}, {"Service", "C", "3", 4, 4}},
		},
		{
			name: "dangling continuation at EOF is still an assignment",
			in:   "[Unit]\nDescription=a \\",
			want: []kv{{"Unit", "Description", "a", 2, 2}},
		},
		{
			name: "repeated keys and empty assignments are kept in order",
			in:   "[Service]\nExecStart=/bin/false\nExecStart=\nExecStart=/bin/true\n",
			want: []kv{
				{"Service", "ExecStart", "/bin/false", 2, 2},
				{"Service", "ExecStart", "", 3, 3},
				{"Service", "ExecStart", "/bin/true", 4, 4},
			},
		},
		{
			name: "CRLF line ends and a BOM",
			in:   "\xef\xbb\xbf[Unit]\r\nDescription=x\r\n",
			want: []kv{{"Unit", "Description", "x", 2, 2}},
		},
		{
			name: "ignored lines are syntax errors, an invalid header ends the file",
			in:   "Stray=1\n[Unit]\nno equals\n=v\n[Broken\nDescription=never read\n",
			errs: []SyntaxError{
				{Line: 1, Msg: "Assignment outside of section. Ignoring."},
				{Line: 3, Msg: "Missing '=', ignoring line."},
				{Line: 4, Msg: "Missing key name before '=', ignoring line."},
				{Line: 5, Fatal: true, Msg: "Invalid section header '[Broken'"},
			},
			sections: []string{"Unit"},
		},
		{
			name:     "unknown sections are kept, assignments in them too",
			in:       "[X-Mine]\nA=1\n[Service]\nB=2\n",
			want:     []kv{{"X-Mine", "A", "1", 2, 2}, {"Service", "B", "2", 4, 4}},
			sections: []string{"X-Mine", "Service"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := ParseUnit("/x/a.service", []byte(tt.in))
			if u.Name != "a.service" {
				t.Errorf("Name = %q", u.Name)
			}
			var got []kv
			for _, a := range u.Assignments {
				got = append(got, kv(a))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("assignments:\n got %+v\nwant %+v", got, tt.want)
			}
			if !reflect.DeepEqual(u.Errors, tt.errs) {
				t.Errorf("errors:\n got %+v\nwant %+v", u.Errors, tt.errs)
			}
			if tt.sections != nil {
				var names []string
				for _, s := range u.Sections {
					names = append(names, s.Name)
				}
				if !reflect.DeepEqual(names, tt.sections) {
					t.Errorf("sections = %q, want %q", names, tt.sections)
				}
			}
		})
	}
}

func TestListAndWords(t *testing.T) {
	u := ParseUnit("a.service", []byte(`[Unit]
After=a.service b.service
After=
After=c.service
[Service]
ExecStart=/bin/false
ExecStart=
ExecStart=/bin/true
ExecStart=/bin/echo
`))
	// An empty assignment resets a list setting...
	var exec []string
	for _, a := range u.List("Service", "ExecStart") {
		exec = append(exec, a.Value)
	}
	if want := []string{"/bin/true", "/bin/echo"}; !reflect.DeepEqual(exec, want) {
		t.Errorf("List(ExecStart) = %q, want %q", exec, want)
	}
	// ...but not a dependency: systemd cannot remove those.
	want := []Word{{"a.service", 2}, {"b.service", 2}, {"c.service", 4}}
	if got := u.Words("Unit", "After"); !reflect.DeepEqual(got, want) {
		t.Errorf("Words(After) = %v, want %v", got, want)
	}
}

func TestCommentStart(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"2  # Delay", 3},
		{"# all comment", 0},
		{"2\t# tab", 2},
		{"#fff", 0},
		{"a#b", -1},
		{`"A=x # y" B=1`, -1}, // quoted: a value, not a comment
		{`/bin/sh -c 'echo # hi'`, -1},
		{"https://example.com/#anchor", -1},
	}
	for _, tt := range tests {
		if got := commentStart(tt.in); got != tt.want {
			t.Errorf("commentStart(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestFamily(t *testing.T) {
	tests := []struct{ in, want string }{
		{"my-service-1.service", "my-service.service"},
		{"my-service-2.service", "my-service.service"},
		{"my-service-group.service", ""},
		{"hello@8081.service", "hello.service"},
		{"hello@.service", "hello.service"},
		{"web8081.service", "web.service"},
		{"8081.service", ""},
		{"network.target", ""},
		{"README", ""},
	}
	for _, tt := range tests {
		if got := family(tt.in); got != tt.want {
			t.Errorf("family(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
