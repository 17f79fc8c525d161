#!/usr/bin/env bash
# Builds the Debian package dist/sysroll_VERSION_ARCH.deb (or into $DEB_DIR):
# the static binary (scripts/build.sh, into $BIN_DIR, default bin/), a man
# page per command and bash/zsh/fish completions generated from the cobra
# commands (internal/tools/gendocs), README, copyright, changelog.
#
# dpkg-deb rather than a Go packager (nfpm, goreleaser): dpkg-deb is Debian's
# own tool, on every Debian (package dpkg, which is Essential), the code that
# will unpack the package builds it, and it adds no dependency to the
# project; what a packager would add is a YAML file with the same fields as
# DEBIAN/control below.
#
#   VERSION, SOURCE_DATE_EPOCH   as for build.sh (both default from git); the
#                  package is reproducible: same commit, same bytes
#   DEB_REVISION   Debian revision, default 1
#   DEB_ARCH       default: dpkg --print-architecture (cross-builds work: the
#                  binary is static)
#   DEB_MAINTAINER default: "sysroll developers <sysroll-dev@example.org>",
#                  a placeholder: set a real address for a package you publish
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

out=${DEB_DIR:-dist}
export VERSION=${VERSION:-$(bash scripts/version.sh)}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
debversion=$VERSION-${DEB_REVISION:-1}
arch=${DEB_ARCH:-$(dpkg --print-architecture)}
maintainer=${DEB_MAINTAINER:-sysroll developers <sysroll-dev@example.org>}
case $arch in
  amd64 | arm64 | s390x | riscv64) goarch=$arch ;;
  i386) goarch=386 ;;
  ppc64el) goarch=ppc64le ;;
  *) echo "deb.sh: no Go architecture known for Debian's $arch" >&2; exit 2 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 022
root=$work/root
bin=${BIN_DIR:-bin}
GOARCH=$goarch BIN_DIR=$bin bash scripts/build.sh
go run ./internal/tools/gendocs -out "$work/gen" -version "$VERSION"

doc=$root/usr/share/doc/sysroll
install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/share/man/man1" "$doc" \
  "$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" \
  "$root/usr/share/fish/vendor_completions.d"
install -m 0755 "$bin/sysroll" "$root/usr/bin/sysroll"
for page in "$work"/gen/man/*.1; do
  # -n: no name or time in the gzip header (reproducible); policy wants -9.
  gzip -9n <"$page" >"$root/usr/share/man/man1/$(basename "$page").gz"
done
# Static on purpose (CGO_ENABLED=0, as Go programs are), so lintian's
# "usually a bug" does not apply.
install -d "$root/usr/share/lintian/overrides"
printf '%s\n' "# Go, CGO_ENABLED=0: static on purpose, no libc needed." \
  "sysroll: statically-linked-binary [usr/bin/sysroll]" >"$root/usr/share/lintian/overrides/sysroll"
install -m 0644 "$work/gen/completion/sysroll.bash" "$root/usr/share/bash-completion/completions/sysroll"
install -m 0644 "$work/gen/completion/_sysroll" "$root/usr/share/zsh/vendor-completions/_sysroll"
install -m 0644 "$work/gen/completion/sysroll.fish" "$root/usr/share/fish/vendor_completions.d/sysroll.fish"
# Policy 12.3: documentation over 4 kB is compressed.
gzip -9n <README.md >"$doc/README.md.gz"
bash scripts/deb-copyright.sh >"$doc/copyright"
{
  echo "sysroll ($debversion) unstable; urgency=medium"
  echo
  echo "  * Built from commit $(git rev-parse HEAD 2>/dev/null || echo unknown)."
  echo
  echo " -- $maintainer  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$doc/changelog.Debian.gz"
find "$root/usr" -type f -exec chmod 0644 {} + -o -type d -exec chmod 0755 {} +
chmod 0755 "$root/usr/bin/sysroll"

cat >"$root/DEBIAN/control" <<CONTROL
Package: sysroll
Version: $debversion
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: systemd
Section: admin
Priority: optional
Description: zero-downtime rolling deploys of systemd services
 sysroll rolls out new releases (or plain restarts) of a replicated service
 under systemd one health-gated batch at a time. The instances not in the
 batch keep serving; a failed batch is rolled back automatically and the
 instances not yet reached are never touched.
 .
 One service file describes the service; sysroll renders a hardened template
 unit, a group target and an optional shared socket, and lints hand-written
 unit files for the usual deployment pitfalls.
CONTROL
(cd "$root" && find usr -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
# Every mtime the commit's, so that the same commit gives the same bytes.
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$out"
deb=$out/sysroll_${debversion}_$arch.deb
dpkg-deb --build --root-owner-group "$root" "$deb" >/dev/null
echo "built $deb ($(stat -c %s "$deb") bytes)"
