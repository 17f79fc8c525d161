package yamlpos

import (
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// Error is one problem in a YAML file (a service file, an inventory), with
// where it is, so a problem reads the same whichever reader found it.
type Error struct {
	// File is the name the file was parsed under ("" when built in Go).
	File string
	// Line and Column (1-based) of the offending value; 0 when unknown. A
	// Column of 0 with a Line is a whole line (INI has no columns worth
	// giving).
	Line, Column int
	// Field is the dotted path of the setting ("health.healthy_for"), when
	// known and when the file has such paths.
	Field string
	// Msg says what is wrong and, where possible, how to fix it.
	Msg string
}

// Error renders "file:line:col: field: msg", leaving out what is unknown.
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
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Pos is the 1-based line and column of a node; 0, 0 for nil or a node
// without a token (one built in Go).
func Pos(n ast.Node) (line, col int) {
	if n == nil || n.GetToken() == nil {
		return 0, 0
	}
	return TokenPos(n.GetToken())
}

// TokenPos is Pos of a token; 0, 0 for nil.
func TokenPos(tk *token.Token) (line, col int) {
	if tk == nil {
		return 0, 0
	}
	return tk.Position.Line, tk.Position.Column
}

// TokenError is an Error at a token (a limit a shape check found, a
// go-yaml error); at no position when tk is nil.
func TokenError(file string, tk *token.Token, msg string) *Error {
	e := &Error{File: file, Msg: msg}
	e.Line, e.Column = TokenPos(tk)
	return e
}

// MaxMsgLen bounds the bytes of one message: a 500 KB name quoted back is
// no help, and a hostile file must not make a hostile error message.
const MaxMsgLen = 300

// Clip shortens msg to MaxMsgLen bytes (on a rune boundary) and marks the
// cut with "…".
func Clip(msg string) string {
	if len(msg) <= MaxMsgLen {
		return msg
	}
	return strings.ToValidUTF8(msg[:MaxMsgLen], "") + "…"
}
