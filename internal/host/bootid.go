package host

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
)

// The kernel's files the fleet handshake and the rollout records read.
const (
	BootIDFile = "/proc/sys/kernel/random/boot_id"
	SelfExe    = "/proc/self/exe"
	// MaxExecutableSize bounds what ExecutableSHA256 reads: sysroll is a
	// few tens of MB; a "binary" past this is not one to hash.
	MaxExecutableSize = 512 << 20
)

// ReadBootID returns the boot ID in path (BootIDFile): a UUID the kernel
// draws at every boot, so a record that carries it tells whether the host
// rebooted since.
func ReadBootID(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("boot ID: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 128))
	if err != nil {
		return "", fmt.Errorf("boot ID: read %s: %w", path, err)
	}
	id := strings.TrimSpace(string(b))
	if len(id) != 36 || strings.Trim(id, "0123456789abcdef-") != "" {
		return "", fmt.Errorf("boot ID: %s holds %q, not a UUID", path, id)
	}
	return id, nil
}

// ExecutableSHA256 is the hex sha256 of the file at path (SelfExe: the
// running binary, even when its path was replaced since), reading at most
// max bytes: a larger file is an error, not a hash of its first part.
func ExecutableSHA256(path string, max int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash the executable: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, max+1))
	if err != nil {
		return "", fmt.Errorf("hash the executable %s: %w", path, err)
	}
	if n > max {
		return "", fmt.Errorf("hash the executable %s: larger than %d bytes", path, max)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
