package release

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
)

// releasePlaceholder is how a service's command names the release
// directory (config.PlaceholderRelease; release does not import config).
const releasePlaceholder = "{release}"

// CheckError is a failed StageOptions.Check: the release is well formed
// but the check ran and refused it, which is an operation that failed
// rather than bad input.
type CheckError struct{ Err error }

func (e *CheckError) Error() string { return e.Err.Error() }
func (e *CheckError) Unwrap() error { return e.Err }

// ValidAs checks a name for StageOptions.As: the name a binary gets in the
// release must be one plain file name, since it becomes releases/V/NAME;
// not hidden, not read as an option, and printable, since the command
// names it.
func ValidAs(name string) error {
	bad := func(rule string) error {
		return fmt.Errorf("--as %q: %s, e.g. --as hello", name, rule)
	}
	switch {
	case name == "":
		return bad("must not be empty")
	case len(name) > 255:
		return bad(fmt.Sprintf("%d bytes, more than a file name may have (255)", len(name)))
	case !validFileName(name):
		return bad("want a plain file name, without '/'")
	case name[0] == '.' || name[0] == '-':
		return bad("want a plain file name, not starting with '.' or '-'")
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < ' ' || c == 0x7f {
			return bad(fmt.Sprintf("byte %d is %s: want a printable name", i, describeByte(c)))
		}
	}
	return nil
}

// validAs checks StageOptions.As against the artifact it names.
func validAs(kind ArtifactKind, name string) error {
	switch {
	case name == "":
		return nil
	case kind != ArtifactBinary:
		return fmt.Errorf("--as %q names a single binary in the release, but the artifact is a %s, which keeps its own file names: drop --as, or fix the names inside the artifact", name, kind)
	}
	return ValidAs(name)
}

// releaseProgram is the path inside the release that the program template
// (argv[0] of the service's command) runs, and whether the template runs
// one at all: only "{release}/PATH" does, with no other placeholder in
// PATH (one that differs per instance cannot be checked once) and PATH not
// climbing out with "..".
func releaseProgram(program string) (string, bool) {
	rest, ok := strings.CutPrefix(program, releasePlaceholder+"/")
	if !ok || strings.Contains(rest, "{") {
		return "", false
	}
	rel := path.Clean(rest)
	if rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", false
	}
	return rel, true
}

// checkProgram refuses a staged release (in dir) that lacks the program the
// service's command runs (StageOptions.Program), or holds it not executable:
// every instance would fail with 203/EXEC. rel says what was staged, so the
// message can name the mismatch and its fix.
func checkProgram(dir, program string, rel Release) error {
	want, ok := releaseProgram(program)
	if !ok {
		return nil
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	// Root.Stat follows symlinks but never out of the release.
	fi, err := root.Stat(want)
	switch {
	case errors.Is(err, fs.ErrNotExist) || err == nil && fi.IsDir():
		return missingProgram(dir, program, want, rel)
	case err != nil:
		return fmt.Errorf("the command runs %s: %w", program, err)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("the command runs %s, which in the release is not a regular file (%s): fix command: in the service file or the artifact", program, fi.Mode().Type())
	case fi.Mode().Perm()&0o111 == 0:
		return fmt.Errorf("the command runs %s, which in the release is not executable (mode %04o): chmod +x it in the artifact", program, fi.Mode().Perm())
	}
	return nil
}

// missingProgram says what the release holds instead of the program and
// how to make the two agree.
func missingProgram(dir, program, want string, rel Release) error {
	if rel.Kind == ArtifactBinary {
		if strings.Contains(want, "/") {
			return fmt.Errorf("the release has %s, the command runs %s: a single binary is staged as {release}/NAME, so stage a directory or tarball with %s, or make the command run {release}/%s",
				rel.Artifact, program, want, rel.Artifact)
		}
		return fmt.Errorf("the release has %s, the command runs %s: give the binary its name with --as %s", rel.Artifact, program, want)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() {
			n += "/"
		}
		names = append(names, n)
	}
	slices.Sort(names)
	has := "nothing"
	if len(names) > 0 {
		const show = 10
		if len(names) > show {
			names = append(names[:show], "…")
		}
		has = strings.Join(names, " ")
	}
	hint := "fix command: in the service file or the artifact's layout"
	if len(entries) == 1 && entries[0].IsDir() {
		hint += fmt.Sprintf(" (everything is under %s/: did you mean %s/%s/%s?)", entries[0].Name(), releasePlaceholder, entries[0].Name(), want)
	}
	return fmt.Errorf("the command runs %s, but the release (a %s) has no %s; at its top it has %s: %s", program, rel.Kind, want, has, hint)
}
