package inventory

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/sysroll/sysroll/internal/yamlpos"
)

// Error is one problem in an inventory, with where it is: yamlpos.Error,
// the type a service file's problems are (config.FieldError), so a bad
// inventory reads the same as a bad service file, and a hosts: error from
// DecodeHosts goes into config's list as it is. Field is left empty: the
// message names what it is about. A Column of 0 with a Line is a whole
// line: INI has no columns worth giving, and encoding/json's offsets are
// turned into both.
type Error = yamlpos.Error

// pos is a place in the file being parsed.
type pos struct{ line, col int }

// Limits that keep a hostile file from producing a hostile error message.
const (
	maxErrors = 50 // errors reported; the rest are counted
)

// errs collects the problems of one file, so a user fixes them in one pass.
type errs struct {
	file string
	list []error
	once map[string]bool
}

// addOnce is add for a problem in a variable that many hosts inherit (a
// group's): it is reported once, at the variable, for the first host.
func (e *errs) addOnce(key string, p pos, format string, args ...any) {
	id := fmt.Sprintf("%d:%d:%s", p.line, p.col, key)
	if e.once[id] {
		return
	}
	if e.once == nil {
		e.once = make(map[string]bool)
	}
	e.once[id] = true
	e.add(p, format, args...)
}

func (e *errs) add(p pos, format string, args ...any) {
	if len(e.list) > maxErrors {
		e.list = append(e.list, nil) // counted, not kept
		return
	}
	e.list = append(e.list, &Error{File: e.file, Line: p.line, Column: p.col, Msg: clip(fmt.Sprintf(format, args...))})
}

func (e *errs) failed() bool { return len(e.list) > 0 }

// join returns the collected errors, at most maxErrors of them.
func (e *errs) join() error {
	if len(e.list) > maxErrors {
		more := len(e.list) - maxErrors
		return errors.Join(append(e.list[:maxErrors:maxErrors], fmt.Errorf("... and %d more errors", more))...)
	}
	return errors.Join(e.list...)
}

// clip shortens an overlong message (a 500 KB name quoted back is no help).
func clip(msg string) string { return yamlpos.Clip(msg) }

// short quotes s for a message, cut to 40 characters.
func short(s string) string {
	const n = 40
	if utf8.RuneCountInString(s) <= n {
		return fmt.Sprintf("%q", s)
	}
	r := []rune(s)
	return fmt.Sprintf("%q…", string(r[:n]))
}

// full reports that the error list is long enough to stop reading.
func (e *errs) full() bool { return len(e.list) > maxErrors }
