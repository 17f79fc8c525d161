#!/usr/bin/env bash
# Prints the package's /usr/share/doc/sysroll/copyright (Debian policy 12.5).
# /usr/bin/sysroll is statically linked: it contains the Go runtime and
# every module it imports, so their licenses ship with it, read from the
# module cache of this very build. Free-form rather than DEP-5: that format
# describes source files, and this package ships a binary.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

# license DIR: the license file of a module or of Go.
license() {
  local f
  for f in LICENSE LICENSE.txt LICENSE.md LICENCE COPYING; do
    if [ -f "$1/$f" ]; then echo "$1/$f"; return; fi
  done
  echo "deb-copyright.sh: no license file in $1" >&2
  return 1
}

# body FILE: a license text, or a pointer to Debian's copy of Apache 2.0
# (policy: refer to /usr/share/common-licenses rather than repeat it).
body() {
  if grep -q 'Apache License' "$1" && grep -q 'Version 2.0, January 2004' "$1"; then
    echo "Apache License 2.0; on Debian systems the full text is in"
    echo "/usr/share/common-licenses/Apache-2.0."
  else
    cat "$1"
  fi
}

cat <<'HEAD'
sysroll: zero-downtime rolling deploys of systemd services.

Copyright: the sysroll authors.
License: the sysroll repository carries no license file yet; until it does,
no license beyond use of this package is granted.

/usr/bin/sysroll is statically linked and so also contains the Go runtime
and standard library and the Go modules listed below, each under its own
license, reproduced or referred to after the list.

HEAD
modules=$(go list -deps -f '{{with .Module}}{{if and (not .Main) (not .Replace)}}{{.Path}} {{.Version}} {{.Dir}}{{end}}{{end}}' ./cmd/sysroll | LC_ALL=C sort -u)
goroot=$(go env GOROOT)
echo "  Go $(go env GOVERSION) (runtime and standard library)"
while read -r path version _; do echo "  $path $version"; done <<<"$modules"
echo
echo "== Go $(go env GOVERSION)"
echo
body "$(license "$goroot")"
while read -r path version dir; do
  echo
  echo "== $path $version"
  echo
  body "$(license "$dir")"
done <<<"$modules"
