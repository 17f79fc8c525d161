package push

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pkg/sftp"
)

// takeOver renames the dead copy old to tmp (a plain SFTP rename, which
// fails if another controller took it first) and returns how many of its
// first bytes to keep: offset when their sha256 on the host is the local
// file's, else 0 (tmp then does not exist).
func (c *Conn) takeOver(ctx context.Context, cl *sftp.Client, old, tmp string, f file, offset int64) int64 {
	if err := cl.Rename(old, tmp); err != nil {
		return 0
	}
	now := time.Now()
	_ = cl.Chtimes(tmp, now, now) // live again: not another sweep's
	local, err := prefixSHA256(f.open, offset)
	if err == nil {
		var out []byte
		out, err = c.runOK(ctx, "sh", "-c", `head -c "$1" -- "$2" | sha256sum`, "sh", fmt.Sprint(offset), tmp)
		if err == nil && strings.HasPrefix(string(out), local+" ") {
			return offset
		}
	}
	c.removeTemp(tmp)
	return 0
}

// prefixSHA256 is the sha256 of the first n bytes of the content open
// gives.
func prefixSHA256(open func() (io.ReadCloser, error), n int64) (string, error) {
	r, err := open()
	if err != nil {
		return "", err
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.CopyN(h, r, n); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
