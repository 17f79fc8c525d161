package release

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/sysroll/sysroll/internal/safeio"
)

// Bounds of the files the store reads: each is far above what sysroll
// writes (a record of the largest service is a few hundred KiB), so only a
// damaged or hostile file hits one.
const (
	maxRecordSize    = 4 << 20
	maxMetaSize      = 64 << 10
	maxKnownGoodSize = 1 << 20
	maxLockSize      = 4 << 10
)

// ErrCorrupt is matched (errors.Is) by every *CorruptError.
var ErrCorrupt = errors.New("corrupt state file")

// CorruptError is a state file sysroll cannot use: not valid JSON, not what
// it should hold, too large, or not a regular file. It names the file and
// what it is; Moved is where the file was quarantined, "" if it was not.
type CorruptError struct {
	What  string // "rollout record", "release metadata", ...
	Path  string
	Err   error
	Moved string
}

func (e *CorruptError) Error() string {
	why := strings.ReplaceAll(e.Err.Error(), "\n", "; ")
	sep := ": "
	if strings.HasPrefix(why, "is ") {
		sep = " " // "rollout record PATH is not valid JSON ..."
	}
	msg := e.What + " " + e.Path + sep + why
	if e.Moved != "" {
		msg += "; moved aside to " + e.Moved
	}
	return msg
}

func (e *CorruptError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// readState reads a file the store owns: bounded, never through a link,
// never blocking on a FIFO. A file that is there but unusable as a state
// file (a link, not regular, too large) is a *CorruptError; a missing one
// is fs.ErrNotExist; anything else (EACCES, EIO) is returned as is.
func readState(what, path string, limit int64) ([]byte, error) {
	// Lstat first only to name a link as such; ReadFileNoFollow refuses one
	// planted between the two calls all the same.
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return nil, &CorruptError{What: what, Path: path, Err: errors.New("is a symbolic link, which sysroll never follows in its state directory")}
	}
	data, err := safeio.ReadFileNoFollow(path, limit)
	switch {
	case err == nil, errors.Is(err, fs.ErrNotExist):
		return data, err
	case errors.Is(err, safeio.ErrTooLarge), errors.Is(err, safeio.ErrNotRegular), errors.Is(err, syscall.ELOOP):
		return nil, &CorruptError{What: what, Path: path, Err: fmt.Errorf("is unusable: %w", unwrapPath(err))}
	}
	return nil, fmt.Errorf("read %s %s: %w", what, path, err)
}

func unwrapPath(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}

// decodeState unmarshals data into v; a failure is a *CorruptError saying
// where in the file (byte offset) or which field is wrong.
func decodeState(what, path string, data []byte, v any) error {
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	return &CorruptError{What: what, Path: path, Err: describeJSONError(data, err)}
}

// describeJSONError turns encoding/json's error into "is not valid JSON at
// byte 120: ..." or "field instances.batch at byte 80: ...".
func describeJSONError(data []byte, err error) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return errors.New("is empty (truncated?)")
	}
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		if se.Offset >= int64(len(data)) {
			return fmt.Errorf("is not valid JSON: it ends at byte %d before the value does (truncated?)", len(data))
		}
		return fmt.Errorf("is not valid JSON at byte %d: %w", se.Offset, err)
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		field := te.Field
		if field == "" {
			field = "(top level)"
		}
		return fmt.Errorf("field %s at byte %d: a JSON %s cannot be a %s", field, te.Offset, te.Value, te.Type)
	}
	return fmt.Errorf("is not valid: %w", err)
}

// ReadStateFile reads the JSON state file at path into v, as the store
// reads its own (see readState and decodeState): bounded by limit, never
// through a link. A missing file is fs.ErrNotExist; one that is unusable
// or not valid JSON is a *CorruptError naming it as what. install reads
// applied.json with it.
func ReadStateFile(what, path string, limit int64, v any) error {
	data, err := readState(what, path, limit)
	if err != nil {
		return err
	}
	return decodeState(what, path, data, v)
}
