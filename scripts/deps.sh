#!/usr/bin/env bash
# Installs what the demo and the tests need on a Debian 12 machine (as root):
# systemd-nspawn for the throwaway testbed systemd, HAProxy for the drain
# tests and the benchmark, man-db and the shells for the package test,
# gunicorn and Node.js for the real-app tests, and
# (in test.sh) staticcheck. dpkg-deb and gzip, for make deb, are part of
# every Debian (Essential). Safe to run again:
# it installs only what is missing.
set -euo pipefail

need=()
# The testbed boots the host's own /usr: systemd and dbus must be there.
command -v systemctl >/dev/null || need+=(systemd)
command -v dbus-daemon >/dev/null || need+=(dbus)
command -v systemd-nspawn >/dev/null || need+=(systemd-container)
command -v haproxy >/dev/null || need+=(haproxy)
command -v ip >/dev/null || need+=(iproute2)
command -v nsenter >/dev/null || need+=(util-linux)
# The package test (internal/e2e/deb) installs the .deb in the testbed,
# which runs the host's /usr: man -w, and each shell loading the completions.
command -v man >/dev/null || need+=(man-db)
[ -f /usr/share/bash-completion/bash_completion ] || need+=(bash-completion)
command -v zsh >/dev/null || need+=(zsh)
command -v fish >/dev/null || need+=(fish)
# The real-app tests (internal/e2e/apps) run Debian's gunicorn and Node.js in
# the testbed, which sees the host's /usr.
[ -x /usr/bin/gunicorn ] || need+=(gunicorn)
# A working Node.js, not just a file named node: some images ship a
# nodejs package whose /usr/bin/node is a stub that exits 0. Debian's own
# nodejs (18 on Debian 12) then replaces it (a downgrade, hence the flag).
node_ok() { /usr/bin/node -e 'console.log(process.version)' 2>/dev/null | grep -q '^v'; }
node_ok || need+=(nodejs)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing: ${need[*]} — run as root, or: sudo apt-get install -y ${need[*]}" >&2
    exit 2
  fi
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  if ! node_ok; then
    v=$(apt-cache madison nodejs | awk '$0 ~ /debian\.org|deb\.debian/ {print $3; exit}')
    echo "installing Debian's nodejs $v (the installed /usr/bin/node does not run)"
    apt-get install -y -qq --no-install-recommends --allow-downgrades --reinstall "nodejs=$v" >/dev/null
    node_ok || { echo "/usr/bin/node still does not run a Node.js" >&2; exit 2; }
  fi
fi
# A copy of the working binary where no package manages it: on the machine
# the Node tests were written on, /usr/bin/node was put back to a stub at
# times while tests ran. The tests use /usr/bin/node when it works, else
# this copy (under /usr, so the testbed sees it).
if node_ok; then
  mkdir -p /usr/local/libexec/sysroll-test
  cmp -s /usr/bin/node /usr/local/libexec/sysroll-test/node || install -m 0755 /usr/bin/node /usr/local/libexec/sysroll-test/node
fi
# HAProxy's package ships a service; the tests run their own haproxy processes.
# The fleet tests (internal/e2e/fleetbed, ...) run the host's /usr/sbin/sshd
# inside each testbed container, cut a test host off with nft in the test's
# own network namespace, and drive it with the system ssh and ssh-keygen.
# The machine itself must not get an sshd out of this: while installing, a
# policy-rc.d that refuses (exit 101) keeps the package from starting
# ssh.service; if an sshd started anyway, or a systemd would start it at the
# next boot, only that unit is stopped and disabled, and we say so.
# Prometheus (for the analysis tests and the demo's canary part, which run their own server on loopback)
# is installed the same way: its package ships a service on :9090.
fleet_need=()
command -v prometheus >/dev/null || fleet_need+=(prometheus)
[ -x /usr/sbin/sshd ] || fleet_need+=(openssh-server)
[ -x /usr/sbin/nft ] || fleet_need+=(nftables)
command -v ssh-keygen >/dev/null || fleet_need+=(openssh-client)
if [ ${#fleet_need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing: ${fleet_need[*]} — run as root, or: sudo apt-get install -y ${fleet_need[*]}" >&2
    exit 2
  fi
  echo "installing: ${fleet_need[*]}"
  own_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  rc=0
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${fleet_need[@]}" >/dev/null; } || rc=$?
  [ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
  [ "$rc" = 0 ] || exit "$rc"
  if [[ " ${fleet_need[*]} " == *" openssh-server "* ]]; then
    if [ -d /run/systemd/system ]; then
      systemctl disable --now ssh.service >/dev/null 2>&1 || true
      echo "disabled ssh.service, which openssh-server enabled on this machine (the tests run sshd only inside their containers)"
    elif [ -s /run/sshd.pid ] && kill -0 "$(cat /run/sshd.pid)" 2>/dev/null; then
      # The machine's own /run: a container's sshd writes its pid file in
      # the container's /run.
      /etc/init.d/ssh stop >/dev/null || true
      update-rc.d ssh disable >/dev/null 2>&1 || true
      echo "stopped and disabled the sshd openssh-server started on this machine"
    fi
  fi
  if [[ " ${fleet_need[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
    systemctl disable --now prometheus.service >/dev/null 2>&1 || true
    echo "disabled prometheus.service, which its package enabled on this machine (the tests run their own)"
  fi
fi
if command -v go >/dev/null; then :; elif [ -x /usr/local/go/bin/go ]; then :; else
  echo "Go 1.26+ is required (https://go.dev/dl/); not found in PATH or /usr/local/go" >&2
  exit 2
fi
