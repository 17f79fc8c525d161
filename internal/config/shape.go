package config

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/scanner"
	"github.com/goccy/go-yaml/token"

	"github.com/sysroll/sysroll/internal/yamlpos"
)

// Limits on the shape of a service file, checked before go-yaml's parser
// builds a tree. The parser's memory grows with the square of the nesting
// depth (50 KB of "[[[[" exhausted memory) and by about 1 KiB per token (a
// 1 MiB flow list of 400,000 items took 460 MiB), so both are bounded first.
// A real service file nests fewer than 10 levels, has a few hundred lines and
// a few thousand tokens; the limits are far above that and keep the whole
// decode of any input of at most MaxFileSize under a fixed memory budget
// (see TestShapeBombsStayInBudget).
const (
	// MaxDepth is how deeply mappings and lists may nest, block (by
	// indentation, "- - -" included) and flow ([ {) together.
	MaxDepth = 64
	// MaxTokens bounds the YAML tokens (keys, values, punctuation, comments).
	MaxTokens = 10000
	// MaxEntries bounds the entries of one mapping or list: go-yaml's
	// parser takes memory in the square of a block mapping's keys (3,300
	// keys took 51 MiB).
	MaxEntries = 1000
	// MaxLines bounds the lines of a service file.
	MaxLines = 10000
	// MaxLineLength bounds one line, in bytes.
	MaxLineLength = 64 << 10
	// maxRawTokens bounds rawTokenBound, an estimate from the bytes alone
	// that is never below the number of tokens go-yaml's scanner will make,
	// so the scanner itself is never run on a token bomb.
	maxRawTokens = 5 * MaxTokens
)

// utf8BOM is accepted at the start of a file and dropped, as most YAML tools
// do: editors on Windows write it, and it is not part of the first key.
var utf8BOM = []byte("\xef\xbb\xbf")

// checkText checks the raw bytes: valid UTF-8 (go-yaml would silently turn
// an invalid byte into U+FFFD and sysroll would render that), no NUL, and
// the line limits. It returns data without a leading BOM.
func checkText(name string, data []byte) ([]byte, error) {
	bom := len(data)
	data = bytes.TrimPrefix(data, utf8BOM)
	bom -= len(data)
	if i := invalidUTF8(data); i >= 0 {
		line, col := lineCol(data, i)
		return nil, &FieldError{File: name, Line: line, Column: col,
			Msg: fmt.Sprintf("invalid UTF-8 (byte 0x%02x at byte offset %d): a service file must be UTF-8 text; save it as UTF-8", data[i], bom+i)}
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		line, col := lineCol(data, i)
		return nil, &FieldError{File: name, Line: line, Column: col, Msg: "file contains a NUL byte; service files are text"}
	}
	// YAML breaks lines at LF, CR LF and a lone CR alike.
	line, start := 1, 0
	for i := 0; i <= len(data); i++ {
		if i < len(data) && data[i] != '\n' && data[i] != '\r' {
			continue
		}
		if i-start > MaxLineLength {
			_, col := lineCol(data[start:], MaxLineLength)
			return nil, &FieldError{File: name, Line: line, Column: col,
				Msg: fmt.Sprintf("line %d is %d bytes long, more than the %d allowed", line, i-start, MaxLineLength)}
		}
		if i < len(data)-1 && data[i] == '\r' && data[i+1] == '\n' {
			i++
		}
		if line++; line > MaxLines && i < len(data)-1 {
			return nil, &FieldError{File: name, Line: line, Column: 1,
				Msg: fmt.Sprintf("more than %d lines: a service file has a few hundred at most", MaxLines)}
		}
		start = i + 1
	}
	if _, at := rawTokenBound(data, maxRawTokens); at >= 0 {
		line, col := lineCol(data, at)
		return nil, &FieldError{File: name, Line: line, Column: col,
			Msg: fmt.Sprintf("too many YAML tokens (keys, values, punctuation): more than %d by here", maxRawTokens)}
	}
	return data, nil
}

// invalidUTF8 is the offset of the first byte that is not valid UTF-8, or -1.
func invalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}

// lineCol is the 1-based line and column (in characters, as go-yaml counts
// them) of byte offset off in data.
func lineCol(data []byte, off int) (line, col int) {
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	lineStart := bytes.LastIndexByte(before, '\n') + 1
	return line, utf8.RuneCount(before[lineStart:]) + 1
}

// rawTokenBound estimates from the bytes alone how many tokens go-yaml's
// scanner will make, never less: each indicator character may be a token,
// and so may every run of other non-blank bytes between them. A comment is
// one token, unless the rest of its line has a quote (the '#' may be inside a quoted
// string that ends on this line, and what follows would be tokens). A '#'
// not after a blank is not a comment in YAML.
//
// It stops once the estimate passes limit, returning the offset where it
// did; at is -1 when it did not.
func rawTokenBound(data []byte, limit int) (n, at int) {
	inRun := false
	for i := 0; i < len(data); i++ {
		if n > limit {
			return n, max(i-1, 0)
		}
		c := data[i]
		switch c {
		case ' ', '\n', '\r':
			inRun = false
			continue
		case '\t':
			n++ // a tab in indentation is a token of its own (an invalid one)
			inRun = false
			continue
		case '#':
			if i == 0 || strings.IndexByte(" \t\n\r", data[i-1]) >= 0 {
				end := bytes.IndexAny(data[i:], "\r\n")
				if end < 0 {
					end = len(data) - i
				}
				if !bytes.ContainsAny(data[i:i+end], `"'`) {
					n++
					i += end - 1
					continue
				}
			}
			n++
			inRun = false
			continue
		case '|', '>':
			n += 2 // a block scalar header, and its content (a token even when blank)
			inRun = false
			continue
		case '[', ']', '{', '}', ',', ':', '"', '\'', '&', '*', '!', '-', '?', '%', '@', '`', '.':
			n++ // a token of its own ('.' for "..."), and what follows starts another
			inRun = false
			continue
		}
		if !inRun {
			n++
			inRun = true
		}
	}
	if n > limit {
		return n, max(len(data)-1, 0)
	}
	return n, -1
}

// tokenize runs go-yaml's scanner and checks the tokens against MaxTokens,
// MaxDepth and MaxEntries before anything is parsed, naming the limit and
// the line and column where it was crossed.
func tokenize(name string, data []byte) (token.Tokens, error) {
	tokens, stalled := scanTokens(data)
	if stalled != nil {
		return nil, tokenError(name, stalled, "the YAML scanner cannot go on from here; check the quoting and indentation")
	}
	// A level counts its keys and its "- " items apart: a list may sit at
	// the same column as the keys of the mapping holding it.
	type level struct{ col, keys, items int }
	var (
		flow   []int   // entries of each open [ and {
		blocks []level // open block levels, by column
	)
	tooMany := func(tk *token.Token) error {
		return tokenError(name, tk, fmt.Sprintf("more than %d entries in one mapping or list: a service file has far fewer (many environment variables belong in environment_files)", MaxEntries))
	}
	for i, tk := range tokens {
		if i == MaxTokens {
			return nil, tokenError(name, tk, fmt.Sprintf("more than %d YAML tokens (keys, values, punctuation): a service file has a few thousand at most; the hosts of a large fleet go in an inventory file (fleet: {inventory: FILE})", MaxTokens))
		}
		switch tk.Type {
		case token.CommentType, token.DocumentHeaderType, token.DocumentEndType, token.DirectiveType:
			continue
		case token.SequenceStartType, token.MappingStartType:
			flow = append(flow, 0)
		case token.SequenceEndType, token.MappingEndType:
			if len(flow) > 0 {
				flow = flow[:len(flow)-1]
			}
		case token.CollectEntryType:
			if len(flow) > 0 {
				if flow[len(flow)-1]++; flow[len(flow)-1] > MaxEntries {
					return nil, tooMany(tk)
				}
			}
		}
		if len(flow) == 0 && startsBlockLevel(tokens, i) {
			col := tk.Position.Column
			for len(blocks) > 0 && blocks[len(blocks)-1].col > col {
				blocks = blocks[:len(blocks)-1]
			}
			if n := len(blocks); n == 0 || blocks[n-1].col != col {
				blocks = append(blocks, level{col: col})
			}
			l := &blocks[len(blocks)-1]
			count := &l.keys
			if tk.Type == token.SequenceEntryType {
				count = &l.items
			}
			if *count++; *count > MaxEntries {
				return nil, tooMany(tk)
			}
		}
		if depth := len(flow) + len(blocks); depth > MaxDepth {
			return nil, tokenError(name, tk, fmt.Sprintf("YAML nesting deeper than %d levels: a service file nests fewer than 10", MaxDepth))
		}
	}
	return tokens, nil
}

// scanTokens runs go-yaml's scanner as lexer.Tokenize does, but stops at
// the first invalid token (which the parser then reports; lexer.Tokenize
// scans on after it) and after MaxTokens tokens. Defensively, it also stops
// when a call makes no progress, rather than trust the scanner never to
// loop; stalled is then the token where it stopped (nil otherwise).
func scanTokens(data []byte) (tokens token.Tokens, stalled *token.Token) {
	var s scanner.Scanner
	s.Init(string(data))
	last, empty := -1, 0
	for {
		sub, err := s.Scan()
		if err == io.EOF {
			return tokens, nil
		}
		if len(sub) == 0 && err == nil {
			if empty++; empty > 1 {
				return tokens, lastToken(tokens)
			}
			continue
		}
		empty = 0
		if len(sub) > 0 && sub[0].Position.Offset <= last && err == nil {
			return tokens, sub[0]
		}
		tokens.Add(sub...)
		if err != nil || len(tokens) > MaxTokens {
			return tokens, nil
		}
		last = tokens[len(tokens)-1].Position.Offset
	}
}

func lastToken(tokens token.Tokens) *token.Token {
	if len(tokens) == 0 {
		return nil
	}
	return tokens[len(tokens)-1]
}

// startsBlockLevel reports whether token i can open a block mapping or list
// level (yamlpos.StartsBlockLevel).
func startsBlockLevel(tokens token.Tokens, i int) bool { return yamlpos.StartsBlockLevel(tokens, i) }

func tokenError(name string, tk *token.Token, msg string) error {
	return yamlpos.TokenError(name, tk, msg)
}
