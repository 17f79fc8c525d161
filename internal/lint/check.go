package lint

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/safeio"
)

// File is a unit file to check. Path is how findings name it; its base name
// is the unit name (e.g. "my-service-1.service", "hello@.service").
type File struct {
	Path string
	Data []byte
}

// Checker runs the rules. The zero value runs only sysroll's own rules.
type Checker struct {
	// Verify runs `systemd-analyze verify`; nil skips it. SystemdAnalyze is
	// the real one; tests pass a recorded output.
	Verify Verifier
}

// verifyTimeout bounds systemd-analyze; it takes ~50ms on a few files.
const verifyTimeout = time.Minute

// Check lints files with every rule, including `systemd-analyze verify`
// when it is installed (if not, one Info finding says so).
func Check(files []File) []Finding {
	ctx, cancel := context.WithTimeout(context.Background(), verifyTimeout)
	defer cancel()
	return Checker{Verify: SystemdAnalyze}.Check(ctx, files)
}

// CheckPaths reads the files (a directory stands for the unit files directly
// in it) and calls Check.
func CheckPaths(paths []string) ([]Finding, error) {
	files, err := ReadFiles(paths)
	if err != nil {
		return nil, err
	}
	return Check(files), nil
}

// Bounds on what lint reads: a unit file is a few KiB; a larger one, or a
// directory holding more than maxTotalSize of unit files, is not what lint
// is for, and reading it whole could exhaust memory.
const (
	MaxUnitFileSize = 1 << 20
	maxTotalSize    = 64 << 20
)

// ReadFiles loads paths; a directory contributes its unit files (by suffix,
// not recursive). Each file is read through a bound (MaxUnitFileSize), and
// only a regular file is read: a FIFO, a device (/dev/zero) or a socket is
// refused at once without blocking. In a directory, a unit masked by a link
// to /dev/null is skipped, as systemd does. A directory with no unit files
// is an error, not "no findings": a mistyped directory must not pass a
// check in CI.
func ReadFiles(paths []string) ([]File, error) {
	var files []File
	var total int64
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("lint %s: %w", p, err)
		}
		names := []string{p}
		if st.IsDir() {
			if names, err = unitFilesIn(p); err != nil {
				return nil, err
			}
		}
		for _, n := range names {
			if why := unitFileNameProblem(filepath.Base(n)); why != "" {
				return nil, fmt.Errorf("lint %s: %s", strconv.Quote(n), why)
			}
			data, err := safeio.ReadFile(n, MaxUnitFileSize)
			if err != nil {
				return nil, fmt.Errorf("lint: a unit file must be a regular file of at most %s: %w", safeio.Size(MaxUnitFileSize), err)
			}
			if total += int64(len(data)); total > maxTotalSize {
				return nil, fmt.Errorf("lint %s: the files given hold more than %s of unit files in all; lint fewer at once", n, safeio.Size(maxTotalSize))
			}
			files = append(files, File{Path: n, Data: data})
		}
	}
	return files, nil
}

// unitFilesIn lists the unit files directly in dir, by name.
func unitFilesIn(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("lint %s: %w", dir, err)
	}
	var names []string
	for _, e := range entries {
		if _, ok := parseUnitName(e.Name()); !ok || e.IsDir() {
			continue
		}
		n := filepath.Join(dir, e.Name())
		if e.Type()&fs.ModeSymlink != 0 {
			if target, err := filepath.EvalSymlinks(n); err == nil && target == os.DevNull {
				continue // masked: systemd never loads it
			}
		}
		names = append(names, n)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("lint %s: no unit files in this directory (looked for names ending in %s); nothing was checked", dir, strings.Join(unitTypes, ", "))
	}
	return names, nil
}

// Check lints files. Findings are sorted by file (in the order given), line
// and rule.
func (c Checker) Check(ctx context.Context, files []File) []Finding {
	s := newUnitSet(files)
	for _, u := range s.units {
		s.checkSyntax(u)
		s.checkInlineComments(u)
		s.checkSections(u)
		s.checkService(u)
		s.checkPartOfDirection(u)
		s.checkInstanceDeps(u)
		s.checkNetworkTarget(u)
		s.checkActiveNotReady(u)
	}
	if c.Verify != nil {
		s.verify(ctx, c.Verify)
	}
	order := map[string]int{}
	for i, u := range s.units {
		if _, ok := order[u.Path]; !ok {
			order[u.Path] = i
		}
	}
	sortFindings(s.findings, order)
	return s.findings
}

// unitSet is the files being checked, indexed by unit name so rules can
// follow dependencies from one file to another.
type unitSet struct {
	units    []*Unit
	byName   map[string]*Unit
	findings []Finding
}

func newUnitSet(files []File) *unitSet {
	s := &unitSet{byName: map[string]*Unit{}}
	for _, f := range files {
		u := ParseUnit(f.Path, f.Data)
		s.units = append(s.units, u)
		if _, dup := s.byName[u.Name]; !dup {
			s.byName[u.Name] = u
		}
	}
	return s
}

// lookup finds the file that defines a unit name: the file itself, or the
// template an instance comes from (foo@8081.service -> foo@.service).
func (s *unitSet) lookup(name string) *Unit {
	if u, ok := s.byName[name]; ok {
		return u
	}
	if t := templateName(name); t != "" {
		return s.byName[t]
	}
	return nil
}

func (s *unitSet) add(u *Unit, line int, rule Rule, sev Severity, msg, fix string) {
	path := ""
	if u != nil {
		path = u.Path
	}
	s.findings = append(s.findings, Finding{Path: path, Line: line, Rule: rule, Severity: sev, Message: msg, Fix: fix})
}

// findingAt returns the most specific finding of one of rules (any rule if
// none given) for path at line; line -1 matches any line.
func (s *unitSet) findingAt(path string, line int, rules ...Rule) *Finding {
	best := -1
	for i, f := range s.findings {
		if f.Path != path || (line >= 0 && f.Line != line) || f.Rule == RuleSystemdAnalyze {
			continue
		}
		if len(rules) > 0 && !slices.Contains(rules, f.Rule) {
			continue
		}
		if best < 0 || slices.Index(ruleOrder, f.Rule) < slices.Index(ruleOrder, s.findings[best].Rule) {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	return &s.findings[best]
}
