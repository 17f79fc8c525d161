package inventory

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Error is one problem in an inventory, with where it is. It renders like
// config.FieldError ("file:line:col: msg"), so a bad inventory reads the same
// as a bad service file; it is a type of its own because config may come to
// import this package (for hosts:), which a shared type would make a cycle.
type Error struct {
	// File is the name the inventory was parsed under.
	File string
	// Line and Column (1-based) of the offending text; 0 when unknown (a
	// Column of 0 with a Line is a whole line: INI has no columns worth
	// giving, and encoding/json's offsets are turned into both).
	Line, Column int
	// Msg says what is wrong and, where possible, how to fix it.
	Msg string
}

// Error renders "file:line:col: msg", leaving out what is unknown.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
			if e.Column > 0 {
				fmt.Fprintf(&b, ":%d", e.Column)
			}
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// pos is a place in the file being parsed.
type pos struct{ line, col int }

// Limits that keep a hostile file from producing a hostile error message.
const (
	maxErrors = 50  // errors reported; the rest are counted
	maxMsgLen = 300 // bytes of one message
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
func clip(msg string) string {
	if len(msg) <= maxMsgLen {
		return msg
	}
	return strings.ToValidUTF8(msg[:maxMsgLen], "") + "…"
}

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
