#!/usr/bin/env bash
# Prints sysroll's version: a Debian-valid upstream version (digits first;
# letters, digits and . + ~ only) derived from `git describe`, so that the
# binary, the man pages and the .deb all say the same, and newer builds sort
# higher under dpkg --compare-versions:
#
#   tag v1.2.3 on the commit            1.2.3
#   4 commits after tag v1.2.3          1.2.3+git20260516.4.abc1234
#   no tag yet (43 commits in all)      0.0.0~git20260516.43.abc1234
#   tag v1.0.0-rc1                      1.0.0~rc1   (~ sorts before 1.0.0)
#   uncommitted changes                 ...+dirty
#
# The date is the commit's (UTC), not the build's, so the same commit always
# gets the same version; the commit count keeps two commits of one day in
# order. VERSION=... overrides it all (e.g. a build from a tarball without
# .git). For the tests, `version.sh DESCRIBE YYYYMMDD COUNT` maps given values.
set -euo pipefail
cd "$(dirname "$0")/.."

# debian_version DESCRIBE DATE COUNT
debian_version() {
  local d=$1 date=$2 count=$3 dirty="" v
  case $d in *-dirty) dirty=+dirty d=${d%-dirty} ;; esac
  if [[ $d =~ ^[0-9a-f]{4,}$ ]]; then
    # No tag yet: `git describe --always` gave the short hash (the tags it
    # considers all start with v, so this is no tag).
    v="0.0.0~git$date.$count.$d"
  elif [[ $d =~ ^v([0-9][A-Za-z0-9.~+-]*)-([0-9]+)-g([0-9a-f]+)$ ]]; then
    # N commits after a tag: after that tag, before the next one.
    v="${BASH_REMATCH[1]//-/\~}+git$date.${BASH_REMATCH[2]}.${BASH_REMATCH[3]}"
  elif [[ $d =~ ^v([0-9][A-Za-z0-9.~+-]*)$ ]]; then
    # Exactly on a tag; a pre-release suffix (-rc1) sorts before the release.
    v=${BASH_REMATCH[1]//-/\~}
  else
    echo "version.sh: cannot make a Debian version of git describe's \"$1\"" >&2
    return 1
  fi
  echo "$v$dirty"
}

if [ $# -eq 3 ]; then debian_version "$@"; exit; fi
if [ -n "${VERSION:-}" ]; then echo "$VERSION"; exit; fi
if ! git rev-parse --git-dir >/dev/null 2>&1; then
  echo "version.sh: not a git checkout; set VERSION=..." >&2
  exit 1
fi
describe=$(git describe --tags --always --dirty --match 'v[0-9]*')
date=$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y%m%d)
debian_version "$describe" "$date" "$(git rev-list --count HEAD)"
