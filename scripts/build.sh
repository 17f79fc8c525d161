#!/usr/bin/env bash
# Builds the release binary: bin/sysroll (or $BIN_DIR/sysroll), static
# (CGO_ENABLED=0: no libc, runs on any Linux of its architecture) with its
# version, commit and build date stamped into internal/buildinfo, which
# `sysroll version` prints.
#
#   VERSION      default: scripts/version.sh (from git describe)
#   SOURCE_DATE_EPOCH  the build date (reproducible builds); default: the
#                commit's time, so a rebuild of one commit is byte-identical
#   GOARCH       to cross-build (the binary is static, nothing else needed)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

out=${BIN_DIR:-bin}
version=${VERSION:-$(bash scripts/version.sh)}
commit=$(git rev-parse HEAD 2>/dev/null || true)
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
date=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)

pkg=github.com/sysroll/sysroll/internal/buildinfo
# -s -w: no symbol table or DWARF (a third smaller; Debian ships stripped
# binaries, and panics still print file:line). -trimpath: no path of this
# machine in the binary. -buildvcs=false: the stamps say which commit; the
# toolchain's own record differs between a clone and a git worktree (it
# finds no repository there), which would make builds irreproducible.
ldflags="-s -w -X $pkg.Version=$version -X $pkg.Commit=$commit -X $pkg.Date=$date"
mkdir -p "$out"
CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$out/sysroll" ./cmd/sysroll
echo "built $out/sysroll $version ($(stat -c %s "$out/sysroll") bytes)"
