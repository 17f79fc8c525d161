package config

import "strings"

// maxDirectiveMsg bounds a DirectiveError message: long enough for a lint
// finding's explanation, short enough that a hostile value cannot flood.
const maxDirectiveMsg = 1000

// DirectiveError is a problem found in the rendered units that a raw
// unit:/service: key caused (package unitfile runs sysroll's lint rules on
// what it renders). It names the service file, line and column of the key,
// like the errors of Validate.
func (s *Service) DirectiveError(field, k, msg string) *FieldError {
	e := &errs{src: s.src}
	e.add(at(field, key(k)), "%s", "")
	fe := e.list[0].(*FieldError)
	if len(msg) > maxDirectiveMsg {
		msg = strings.ToValidUTF8(msg[:maxDirectiveMsg], "") + "…"
	}
	fe.Msg = msg
	return fe
}

// TopLevelError is a problem with a top-level field (name, listen, ...)
// found outside Validate, e.g. by unitfile.Verify on the host, at the
// field's line and column.
func (s *Service) TopLevelError(field, msg string) *FieldError {
	e := &errs{src: s.src}
	e.add(at(field), "%s", clip(msg))
	return e.list[0].(*FieldError)
}
