package lint

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/safeio"
)

// ReadFiles refuses what is not a unit file to read, at once, naming the
// file and the rule; it never blocks on a FIFO nor reads /dev/zero to its end.
func TestReadFilesRefuses(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.service")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.service")
	if err := os.WriteFile(big, []byte(strings.Repeat("#\n", MaxUnitFileSize/2+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(empty, "README"), []byte("not a unit"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		want string
		is   error
	}{
		{"/dev/zero", "/dev/zero: not a regular file (a character device)", safeio.ErrNotRegular},
		{fifo, fifo + ": not a regular file (a named pipe)", safeio.ErrNotRegular},
		{big, big + ": file too large: more than the 1 MiB allowed", safeio.ErrTooLarge},
		{empty, "lint " + empty + ": no unit files in this directory", nil},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := ReadFiles([]string{tc.path})
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("ReadFiles blocked")
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(%v) = false", tc.is)
			}
		})
	}
}

// A directory's unit files are read, and a unit masked by a link to
// /dev/null (as `systemctl mask` leaves it) is skipped, not refused.
func TestReadFilesDirectorySkipsMasked(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.service"), []byte("[Service]\nExecStart=/bin/true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(os.DevNull, filepath.Join(dir, "masked.service")); err != nil {
		t.Fatal(err)
	}
	files, err := ReadFiles([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || filepath.Base(files[0].Path) != "a.service" {
		t.Errorf("files = %v, want only a.service", files)
	}
}

// A file name systemd cannot load as a unit is refused, quoted: a newline or
// an escape sequence in it used to reach lint's output as it was (and
// systemd-analyze only said "Failed to prepare filename").
func TestReadFilesRefusesBadUnitNames(t *testing.T) {
	unit := []byte("[Service]\nExecStart=/bin/true\n")
	for _, tc := range []struct{ name, want string }{
		{"a\nb.service", `a\nb.service": not a valid unit name: '\n' at byte 1`},
		{"x\x1b[31m.service", `not a valid unit name: '\x1b' at byte 1`},
		{"caf\u00e9.service", `not a valid unit name: 'é' at byte 3`},
		{"a b.service", `not a valid unit name: ' ' at byte 1`},
		{"a@b@c.service", "more than one '@'"},
	} {
		for _, asDir := range []bool{false, true} {
			dir := t.TempDir()
			p := filepath.Join(dir, tc.name)
			if err := os.WriteFile(p, unit, 0o600); err != nil {
				t.Fatal(err)
			}
			arg := p
			if asDir {
				arg = dir
			}
			_, err := ReadFiles([]string{arg})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ReadFiles(%q) = %v, want it to contain %q", arg, err, tc.want)
			}
		}
	}
	// Names systemd loads pass, escapes included.
	dir := t.TempDir()
	for _, n := range []string{`a\x2db.service`, "web@8081.service", "x:y_z-1.2.socket"} {
		if err := os.WriteFile(filepath.Join(dir, n), unit, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ReadFiles([]string{dir}); err != nil {
		t.Errorf("valid names refused: %v", err)
	}
}

// Format writes the text of a finding with its control characters escaped:
// a hostile unit file quoted in a message must not clear or recolour the
// terminal, nor reorder a line with a bidirectional override.
func TestFormatEscapesControls(t *testing.T) {
	var b strings.Builder
	err := Format(&b, []Finding{{
		Path: "x\x1b]0;t\a.service", Line: 3, Rule: RuleWrongSection, Severity: Warning,
		Message: "Requires=a\x1b[2J@b.service", Fix: "Move \u202eit\u0085", Analyze: []string{"x\x1b[31m"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsFunc(out, func(r rune) bool { return r != '\n' && isControl(r) }) {
		t.Errorf("Format wrote a control character:\n%q", out)
	}
	for _, want := range []string{`x\x1b]0;t\x07.service:3`, `Requires=a\x1b[2J@b.service`, `Move \u202eit\u0085`, `systemd-analyze: x\x1b[31m`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
